-- Runs once, when the PostgreSQL volume is first created. The services would also create
-- their databases themselves; doing it here makes `make psql` work before they start.
CREATE DATABASE ecommerce;
CREATE DATABASE payments;
