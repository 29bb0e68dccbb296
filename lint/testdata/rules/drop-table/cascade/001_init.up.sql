CREATE TABLE teams (id bigint PRIMARY KEY);
CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint REFERENCES teams (id));
CREATE TABLE projects (id bigint PRIMARY KEY, team_id bigint CONSTRAINT projects_team_fk REFERENCES teams (id));
