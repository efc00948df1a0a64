-- The reason the tax system gives when it cancels an offset (CancelTaxRefundOffset.reason):
-- kept with the offset and written on the voided hold.
ALTER TABLE tax_refund_offsets ADD COLUMN cancel_reason text;
