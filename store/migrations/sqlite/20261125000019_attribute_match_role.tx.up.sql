-- A custom attribute's role in duplicate detection (customer.MatchRole); '' is none.
ALTER TABLE crm_attribute_defs ADD COLUMN match_role TEXT NOT NULL DEFAULT '';
