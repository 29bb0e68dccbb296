CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint NOT NULL, during tstzrange NOT NULL);
