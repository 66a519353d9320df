import type * as Api from '../../api/schema.gen';

/** GET /v1/cities/{id}/live */
export type CityLive = Api.CityLive;
