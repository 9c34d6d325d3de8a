-- FerretDB v1 on PostgreSQL turns an equality filter on a field into `_jsonb -> 'field' @> value`
-- and creates a btree index on `(_jsonb -> 'field')` for each declared index. A btree index cannot
-- serve `@>`, so every lookup read the whole table (FerretDB issue #4646). This event trigger adds a
-- GIN index on the same expression next to each such btree index, which PostgreSQL uses for `@>`.
-- Only the first key of each declared index gets one, which covers the equality lookups the
-- product makes. It is installed in the local database only; production runs on MongoDB.
CREATE OR REPLACE FUNCTION wxlearn_add_gin_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
  access_method text;
  table_oid oid;
  table_name text;
  expression text;
BEGIN
  FOR command IN
    SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX'
  LOOP
    SELECT am.amname, i.indrelid, t.relname
      INTO access_method, table_oid, table_name
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am am ON am.oid = c.relam
      JOIN pg_class t ON t.oid = i.indrelid
      WHERE i.indexrelid = command.objid;
    CONTINUE WHEN access_method IS DISTINCT FROM 'btree';
    expression := pg_get_indexdef(command.objid, 1, false);
    CONTINUE WHEN expression IS NULL OR position('_jsonb -> ' in expression) = 0;
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s)',
      left(table_name, 40) || '_' || left(md5(expression), 12) || '_gin',
      table_oid::regclass,
      expression
    );
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS wxlearn_gin_indexes;
CREATE EVENT TRIGGER wxlearn_gin_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION wxlearn_add_gin_index();

-- Tables created before the trigger existed get their GIN indexes now.
DO $$
DECLARE
  existing record;
BEGIN
  FOR existing IN
    SELECT i.indexrelid, i.indrelid, t.relname, pg_get_indexdef(i.indexrelid, 1, false) AS expression
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am am ON am.oid = c.relam
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  LOOP
    CONTINUE WHEN position('_jsonb -> ' in existing.expression) = 0;
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s)',
      left(existing.relname, 40) || '_' || left(md5(existing.expression), 12) || '_gin',
      existing.indrelid::regclass,
      existing.expression
    );
  END LOOP;
END;
$$;
