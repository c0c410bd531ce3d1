import path from 'node:path';
import { subtreeRoute } from '@marketplace/common';
import type { RouteTable } from '@marketplace/common';
import express, { Router } from 'express';
import { z } from 'zod';

/** The page's own files (HTML, script, styles), beside src/ and dist/. */
const PAGE_DIR = path.join(__dirname, '../../dashboard');

/** Browser builds of the two libraries the page uses, served from our own dependencies. */
const VENDOR_FILES: Record<string, string> = {
  'uPlot.esm.js': require.resolve('uplot/dist/uPlot.esm.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
  'eventsource-parser.js': path.join(
    path.dirname(require.resolve('eventsource-parser/package.json')),
    'dist/index.js',
  ),
};

/**
 * GET /dashboard: the sellers' revenue page (static files; it reads /revenue and its live
 * stream with the seller's token, and logs in at ecommerce's /login, whose origin the Content
 * Security Policy allows alongside our own).
 */
export function dashboardRoutes(options: { ecommercePublicUrl?: string | undefined }): RouteTable {
  const loginOrigin = options.ecommercePublicUrl ? new URL(options.ecommercePublicUrl).origin : '';
  const policy = [
    "default-src 'self'",
    `connect-src 'self' ${loginOrigin}`.trim(),
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const page = Router();
  page.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    next();
  });
  page.get('/', (_req, res) => res.sendFile(path.join(PAGE_DIR, 'index.html')));
  page.get('/config.json', (_req, res) => {
    res.json({ ecommerce_url: options.ecommercePublicUrl ?? null });
  });
  page.get('/vendor/:file', (req, res, next) => {
    const file = VENDOR_FILES[req.params.file];
    if (!file) return next();
    res.sendFile(file, { maxAge: '1h' });
  });
  page.use(express.static(PAGE_DIR, { index: false, redirect: false }));
  return {
    tags: ['dashboard'],
    routes: [
      subtreeRoute(
        {
          method: 'get',
          path: '/dashboard',
          summary: "The sellers' revenue page (it logs in at ecommerce's /login from the browser)",
          responses: {
            200: { description: 'HTML page', schema: z.string(), contentType: 'text/html' },
          },
        },
        page,
      ),
    ],
  };
}
