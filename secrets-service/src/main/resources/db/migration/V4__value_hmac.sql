-- The keyed hash of each version's value (HMAC-SHA256 under the service's HMAC key, the same as audit records
-- carry): an investigator holding a known value can learn which versions held it, the table alone reveals nothing.
alter table secret_version add column value_hmac text;
create index secret_version_value_hmac on secret_version (value_hmac) where value_hmac is not null;
