-- test: new=002,003
ALTER TYPE status ADD VALUE 'pending';
