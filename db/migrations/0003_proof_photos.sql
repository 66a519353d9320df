CREATE TABLE "proof_photos" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"driver_id" text,
	"object_key" text NOT NULL,
	"content_type" text NOT NULL,
	"bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "proof_photos_object_key_unique" UNIQUE("object_key")
);
--> statement-breakpoint
ALTER TABLE "proof_photos" ADD CONSTRAINT "proof_photos_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proof_photos" ADD CONSTRAINT "proof_photos_driver_id_drivers_id_fk" FOREIGN KEY ("driver_id") REFERENCES "public"."drivers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "proof_photos_order_idx" ON "proof_photos" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "proof_photos_created_at_idx" ON "proof_photos" USING btree ("created_at");