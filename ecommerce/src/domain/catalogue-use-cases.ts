import { randomUUID } from 'node:crypto';
import { AppError } from '@marketplace/common';
import type { TransactionRunner } from '../data/database';
import type { Page, PageRequest } from '../data/pagination';
import type { Product, ProductRepository } from '../data/product-repository';
import type { Seller, SellerRepository } from '../data/seller-repository';
import type { UserRepository } from '../data/user-repository';
import type { Principal } from './tokens';

export class CatalogueUseCases {
  constructor(
    private readonly inTransaction: TransactionRunner,
    private readonly sellers: SellerRepository,
    private readonly products: ProductRepository,
    private readonly users: UserRepository,
  ) {}

  /** Creates a seller; the owner, if named, becomes that seller's user. */
  async createSeller(input: { name: string; ownerUserId?: string | undefined }): Promise<Seller> {
    return this.inTransaction(async (transaction) => {
      const seller = await this.sellers.insert({ id: randomUUID(), name: input.name }, transaction);
      if (input.ownerUserId) {
        const owner = await this.users.findById(input.ownerUserId, transaction);
        if (!owner) {
          throw new AppError('unknown_user', `User ${input.ownerUserId} does not exist.`, [
            { path: 'owner_user_id', message: 'unknown user' },
          ]);
        }
        if (!(await this.users.linkToSeller(owner.id, seller.id, transaction))) {
          throw new AppError(
            'owner_not_eligible',
            `User ${owner.username} already speaks for a seller or is an admin.`,
          );
        }
      }
      return seller;
    });
  }

  async getSeller(id: string): Promise<Seller> {
    const seller = await this.sellers.findById(id);
    if (!seller) throw new AppError('seller_not_found', `Seller ${id} does not exist.`);
    return seller;
  }

  listSellers(page: PageRequest): Promise<Page<Seller>> {
    return this.sellers.list(page);
  }

  /** Admins add products for any seller; a seller's user only for its own seller. */
  async createProduct(
    principal: Principal,
    input: { title: string; price: number; sellerId: string; stock: number | null },
  ): Promise<{ id: string }> {
    if (principal.role !== 'admin' && principal.sellerId !== input.sellerId) {
      throw new AppError('forbidden', 'Only an admin or the seller itself can add its products.');
    }
    if (!(await this.sellers.findById(input.sellerId))) {
      throw new AppError('unknown_seller', `Seller ${input.sellerId} does not exist.`, [
        { path: 'seller_id', message: 'unknown seller' },
      ]);
    }
    const id = randomUUID();
    await this.products.insert({ id, ...input });
    return { id };
  }

  async getProduct(id: string): Promise<Product> {
    const product = await this.products.findById(id);
    if (!product) throw new AppError('product_not_found', `Product ${id} does not exist.`);
    return product;
  }

  listProducts(page: PageRequest, sellerId?: string): Promise<Page<Product>> {
    return this.products.list(page, { sellerId });
  }
}
