package dev.sekisho.common.security;

/**
 * The realm roles every Sekisho API is guarded by (deploy/keycloak/sekisho-realm.json declares and assigns them).
 * People have one of three job roles; each service account has only the permissions its work needs, so one
 * service's stolen credentials do not open another service's commands.
 */
public final class Permissions {

    /** People: full control; runs integrations; reads the record. */
    public static final String ADMIN = "admin";
    public static final String OPERATOR = "operator";
    public static final String AUDITOR = "auditor";
    /** People: approve integrations (never their own request: four eyes); suspend and resume them. */
    public static final String APPROVER = "approver";

    /** Write events to the audit log (every service that acts). The emitting service is the caller's identity. */
    public static final String AUDIT_RECORD = "audit:record";
    /** Send security signals to alert-service. */
    public static final String ALERT_SIGNAL = "alert:signal";
    /** Ask auth-service whether a token is active. */
    public static final String AUTH_INTROSPECT = "auth:introspect";
    /** Disable a user (alert playbooks). */
    public static final String AUTH_DISABLE_USER = "auth:disable-user";
    /** Block and unblock identities in ratelimit-service (alert playbooks). */
    public static final String RATELIMIT_BLOCK = "ratelimit:block";
    /** Read ratelimit-service's policies and blocks. */
    public static final String RATELIMIT_READ = "ratelimit:read";
    /** Verify an API key (ext_authz). */
    public static final String SECRETS_VERIFY_API_KEY = "secrets:verify-api-key";
    /** Revoke an API key (alert playbooks). */
    public static final String SECRETS_REVOKE_API_KEY = "secrets:revoke-api-key";
    /** Suspend the integrations a leaver owns (auth-service, when Keycloak says a user was disabled). */
    public static final String SECRETS_SUSPEND_INTEGRATIONS = "secrets:suspend-integrations";
    /** Read who has which realm role, and their manager (secrets-service, for access review campaigns). */
    public static final String AUTH_READ_ACCESS = "auth:read-access";

    private static final String DECIDE_PREFIX = "ratelimit:decide:";

    private Permissions() {
    }

    /** Spend budgets in a protected rate-limit domain, e.g. {@code ratelimit:decide:auth} for the login budget. */
    public static String decide(String domain) {
        return DECIDE_PREFIX + domain;
    }
}
