-- persons.national_number was char(11). Every query binds a national number as text, and
-- `char(11) = text` compares as text: the unique index on the char column cannot serve it,
-- so each look-up by national number (a submission's persons, data-exchange's check before
-- every income look-up, GetPerson) read the whole registry — 0.3 ms at 5,000 persons in
-- tests/benches/rpc_floor.rs, growing with the registry. As text the index serves them.
-- The check already pins the value to exactly 11 digits; "C" collation, since digits need
-- no linguistic order.
ALTER TABLE persons ALTER COLUMN national_number TYPE text COLLATE "C";
