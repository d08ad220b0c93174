-- A copy of the database (test, staging) must never sync with, or change, the live PBX.
UPDATE teleum_account SET active = false, password = NULL;
INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
VALUES ('teleum_telephony.neutralized', '1', 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC')
ON CONFLICT (key) DO UPDATE SET value = '1';
-- nor send recordings to a speech service
UPDATE res_company SET teleum_stt_url = NULL, teleum_stt_key = NULL;
