SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&); -- want: add-exclusion-constraint "bookings_no_overlap builds its index and checks every row of bookings"
