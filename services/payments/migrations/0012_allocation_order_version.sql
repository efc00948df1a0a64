-- Each allocation line records the version of the allocation order that produced it, so that
-- a payment allocated before a change of the order (a new law, a court's reading) is still
-- explained by the order it was allocated under. Every line so far was allocated under
-- "2024-1", the only order there has been; new lines must name theirs.
ALTER TABLE payment_allocations ADD COLUMN order_version text NOT NULL DEFAULT '2024-1';
ALTER TABLE payment_allocations ALTER COLUMN order_version DROP DEFAULT;
