-- Schema baseline. The service's tables arrive with its feature migrations (V2 onward); this first version
-- gives Flyway a history, which readiness reads through Hibernate Reactive (sekisho-persistence).
SELECT 1;
