import { parseInput, principalOf, requireRole } from '@marketplace/common';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { CatalogueUseCases } from '../domain/catalogue-use-cases';
import { productJson, sellerJson } from './presenters';
import { idParams, pageQuery, productBody, productListQuery, sellerBody } from './schemas';

export function catalogueRoutes(
  catalogue: CatalogueUseCases,
  authenticated: RequestHandler,
  currency: string,
): Router {
  const router = Router();

  router.get('/seller', async (req, res) => {
    const page = parseInput(pageQuery, req.query, 'query');
    const { items, total } = await catalogue.listSellers(page);
    res.setHeader('X-Total-Count', String(total)).json(items.map(sellerJson));
  });

  router.get('/seller/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'path');
    res.json(sellerJson(await catalogue.getSeller(id)));
  });

  router.post('/seller', authenticated, requireRole('admin'), async (req, res) => {
    const body = parseInput(sellerBody, req.body, 'body');
    const seller = await catalogue.createSeller({
      name: body.name,
      ownerUserId: body.owner_user_id,
    });
    res.status(201).location(`/seller/${seller.id}`).json({ seller_id: seller.id });
  });

  router.get('/products', async (req, res) => {
    const { seller_id, ...page } = parseInput(productListQuery, req.query, 'query');
    const { items, total } = await catalogue.listProducts(page, seller_id);
    res.setHeader('X-Total-Count', String(total)).json(items.map((p) => productJson(p, currency)));
  });

  router.get('/products/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'path');
    res.json(productJson(await catalogue.getProduct(id), currency));
  });

  router.post('/products', authenticated, async (req, res) => {
    const body = parseInput(productBody, req.body, 'body');
    const { id } = await catalogue.createProduct(principalOf(res), {
      title: body.title,
      price: body.price,
      sellerId: body.seller_id,
      stock: body.stock ?? null,
    });
    res.status(201).location(`/products/${id}`).json({ product_id: id });
  });

  return router;
}
