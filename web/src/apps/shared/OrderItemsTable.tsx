import { formatMoney } from './format';
import type { Order } from './types';

export function OrderItemsTable({ order }: { order: Order }) {
  const { totals } = order;
  const money = (c: number) => formatMoney(c, totals.currency);
  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">Items and totals</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" className="num">Qty</th>
            <th scope="col" className="num">Price</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item, i) => (
            <tr key={`${item.productId ?? item.name}-${i}`}>
              <td>
                {item.name}
                {item.requiresPrescription ? <span className="badge badge--warn"> Prescription</span> : null}
              </td>
              <td className="num">{item.quantity}</td>
              <td className="num">{money(item.lineTotalCents)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>Subtotal</th>
            <td className="num">{money(totals.subtotalCents)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={2}>Delivery</th>
            <td className="num">{money(totals.deliveryFeeCents)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={2}>Tax</th>
            <td className="num">{money(totals.taxCents)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={2}>Total</th>
            <td className="num"><strong>{money(totals.totalCents)}</strong></td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
