import type { Product } from '../data/product-repository';
import type { Purchase } from '../data/purchase-repository';
import type { Seller } from '../data/seller-repository';
import { maskCardNumber } from '../domain/credit-card';

/** Domain objects -> the snake_case JSON of the contract. */

export const sellerJson = (seller: Seller) => ({
  seller_id: seller.id,
  name: seller.name,
  created_at: seller.createdAt.toISOString(),
});

export const productJson = (product: Product, currency: string) => ({
  product_id: product.id,
  title: product.title,
  price: product.price,
  currency,
  stock: product.stock,
  seller: { seller_id: product.seller.id, name: product.seller.name },
});

export const purchaseJson = (purchase: Purchase) => ({
  purchase_id: purchase.id,
  client: purchase.username,
  status: purchase.status,
  total_price: purchase.totalPrice,
  currency: purchase.currency,
  credit_card: maskCardNumber(purchase.card.last4),
  items: purchase.items.map((item) => ({
    product_id: item.productId,
    seller_id: item.sellerId,
    title: item.title,
    quantity: item.quantity,
    unit_price: item.unitPrice,
    subtotal: item.subtotal,
  })),
  created_at: purchase.createdAt.toISOString(),
});
