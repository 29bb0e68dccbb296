-- Größe und Ärger
SELECT 'é';
CREATE TABLE "Übersicht" (id bigint,); -- want: syntax-error "syntax error at or near \"\)\""
