-- A plan is sized on the ordinary art. 1409 seizable amount; an agent may raise it, with a
-- reason, up to the maintenance-exception amount of the same incomes, kept here (NULL for
-- plans created before it was kept).
ALTER TABLE payment_plans
    ADD COLUMN maintenance_seizable_cents bigint CHECK (maintenance_seizable_cents >= 0);
