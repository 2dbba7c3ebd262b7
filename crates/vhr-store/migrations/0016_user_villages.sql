-- The villages a village doctor's account reaches (issue #12), a JSON array
-- of 3-digit codes. Accounts made before villages were assigned kept seeing
-- every village of the clinic; they keep doing so until an administrator
-- narrows them.
ALTER TABLE app_user ADD COLUMN villages TEXT NOT NULL DEFAULT '[]';
UPDATE app_user SET villages = coalesce(
    (SELECT json_group_array(json_extract(v.value, '$.code')) FROM clinic, json_each(clinic.profile, '$.villages') v),
    '[]');
