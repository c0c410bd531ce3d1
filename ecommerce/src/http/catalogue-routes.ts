import { createdHeaders, listHeaders, reply, route } from '@marketplace/common';
import type { RouteTable } from '@marketplace/common';
import type { z } from 'zod';
import type { Product } from '../data/product-repository';
import type { Seller } from '../data/seller-repository';
import type { CatalogueUseCases } from '../domain/catalogue-use-cases';
import {
  createdProduct,
  createdSeller,
  productBody,
  productListQuery,
  productResponse,
  sellerBody,
  sellerResponse,
} from './catalogue-schemas';
import { idParams, pageQuery } from './schemas';

const sellerJson = (seller: Seller): z.infer<typeof sellerResponse> => ({
  seller_id: seller.id,
  name: seller.name,
  created_at: seller.createdAt.toISOString(),
});

const productJson = (product: Product, currency: string): z.infer<typeof productResponse> => ({
  product_id: product.id,
  title: product.title,
  price: product.price,
  currency,
  stock: product.stock,
  seller: { seller_id: product.seller.id, name: product.seller.name },
});

export function catalogueRoutes(catalogue: CatalogueUseCases, currency: string): RouteTable {
  return {
    tags: ['catalogue'],
    failures: { 503: 'The database cannot be reached' },
    routes: [
      route({
        method: 'get',
        path: '/seller',
        summary: 'List sellers',
        request: { query: pageQuery },
        responses: {
          200: { description: 'Sellers', schema: sellerResponse.array(), headers: listHeaders },
        },
        handler: async ({ query }) => {
          const { items, total } = await catalogue.listSellers(query);
          return reply(200, items.map(sellerJson), { 'X-Total-Count': total });
        },
      }),
      route({
        method: 'get',
        path: '/seller/:id',
        summary: 'One seller',
        request: { params: idParams },
        responses: { 200: { description: 'The seller', schema: sellerResponse } },
        failures: { 404: 'Unknown seller' },
        handler: async ({ params }) => reply(200, sellerJson(await catalogue.getSeller(params.id))),
      }),
      route({
        method: 'post',
        path: '/seller',
        summary: 'Create a seller (admin); the owner, if given, becomes its user',
        auth: { roles: ['admin'] },
        request: { body: sellerBody },
        responses: {
          201: { description: 'Created', schema: createdSeller, headers: createdHeaders },
        },
        failures: {
          409: 'The owner already has a seller or is an admin',
          422: 'Unknown owner',
        },
        handler: async ({ body }) => {
          const seller = await catalogue.createSeller({
            name: body.name,
            ownerUserId: body.owner_user_id,
          });
          return reply(201, { seller_id: seller.id }, { Location: `/seller/${seller.id}` });
        },
      }),
      route({
        method: 'get',
        path: '/products',
        summary: 'List products',
        request: { query: productListQuery },
        responses: {
          200: { description: 'Products', schema: productResponse.array(), headers: listHeaders },
        },
        handler: async ({ query: { seller_id, ...page } }) => {
          const { items, total } = await catalogue.listProducts(page, seller_id);
          const products = items.map((p) => productJson(p, currency));
          return reply(200, products, { 'X-Total-Count': total });
        },
      }),
      route({
        method: 'get',
        path: '/products/:id',
        summary: 'One product',
        request: { params: idParams },
        responses: { 200: { description: 'The product', schema: productResponse } },
        failures: { 404: 'Unknown product' },
        handler: async ({ params }) =>
          reply(200, productJson(await catalogue.getProduct(params.id), currency)),
      }),
      route({
        method: 'post',
        path: '/products',
        summary: "Add a product (admin, or the seller's own user)",
        auth: 'token',
        request: { body: productBody },
        responses: {
          201: { description: 'Created', schema: createdProduct, headers: createdHeaders },
        },
        failures: { 403: 'Neither admin nor that seller', 422: 'Unknown seller' },
        handler: async ({ body, principal }) => {
          const { id } = await catalogue.createProduct(principal, {
            title: body.title,
            price: body.price,
            sellerId: body.seller_id,
            stock: body.stock ?? null,
          });
          return reply(201, { product_id: id }, { Location: `/products/${id}` });
        },
      }),
    ],
  };
}
