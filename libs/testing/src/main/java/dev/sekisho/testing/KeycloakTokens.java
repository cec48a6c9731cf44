package dev.sekisho.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Real tokens from the test Keycloak, for tests that call services the way their clients do. */
public final class KeycloakTokens {

    /** The realm's local defaults (deploy/keycloak/sekisho-realm.json). */
    public static final String ALICE = "alice";
    public static final String ALICE_PASSWORD = "Sekisho-Alice-2026";
    public static final String ALICE_TOTP = "sekisho-alice-totp-secret";
    public static final String BOB = "bob";
    public static final String BOB_PASSWORD = "Sekisho-Bob-2026";
    public static final String DEMO = "demo";
    public static final String DEMO_PASSWORD = "Sekisho-Demo-2026";
    public static final String DEMO_TOTP = "sekisho-demo-totp-secret";

    /** An auditor with TOTP, created by the tests (the realm's bob has no MFA, so his tokens are refused everywhere). */
    public static final String AUDITOR = "test-auditor";
    public static final String AUDITOR_PASSWORD = "Sekisho-Test-Auditor-2026";
    public static final String AUDITOR_TOTP = "sekisho-test-auditor-totp-secret";
    /** Keycloak's tokens live 300 s; one is reused for 200 s so that tests do not wait for fresh TOTP codes. */
    private static final long REUSE_MILLIS = 200_000;
    /** JVM-wide (system properties), as Quarkus loads test helpers in more than one class loader. */
    private static final String AUDITOR_TOKEN = "sekisho.testing.auditor-token";

    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private KeycloakTokens() {
    }

    /** A service account's token (client svc-<service>, with that service's permissions in the realm). */
    public static String service(String service) {
        return token(Map.of("grant_type", "client_credentials", "client_id", "svc-" + service,
                "client_secret", "svc-" + service + "-dev-secret"));
    }

    /** A user's token through the auth client's direct grant; totpSecret null for a user without MFA. */
    public static String user(String username, String password, String totpSecret) {
        Map<String, String> form = new LinkedHashMap<>(Map.of("grant_type", "password", "client_id", "sekisho-auth",
                "client_secret", "sekisho-auth-dev-secret", "username", username, "password", password));
        if (totpSecret != null) {
            form.put("totp", Totp.fresh(totpSecret));
        }
        return token(form);
    }

    /**
     * A token of an auditor who logged in with password and TOTP, as every service requires of a person. The user is
     * created on first use; the token is shared for a while (each login spends a one-time code).
     */
    public static String auditor() {
        synchronized (System.getProperties()) {
            long now = System.currentTimeMillis();
            String[] known = System.getProperty(AUDITOR_TOKEN, "0 -").split(" ", 2);
            if (now - Long.parseLong(known[0]) > REUSE_MILLIS) {
                KeycloakAdmin.importUsers(java.util.List.of(
                        new KeycloakAdmin.NewUser(AUDITOR, AUDITOR_PASSWORD, AUDITOR_TOTP, java.util.List.of("auditor"))));
                known = new String[] {String.valueOf(now), user(AUDITOR, AUDITOR_PASSWORD, AUDITOR_TOTP)};
                System.setProperty(AUDITOR_TOKEN, known[0] + " " + known[1]);
            }
            return known[1];
        }
    }

    private static String token(Map<String, String> form) {
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> body.append(body.isEmpty() ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        URI endpoint = URI.create(SharedServers.keycloak() + "/realms/" + KeycloakServer.REALM + "/protocol/openid-connect/token");
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(endpoint)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = ACCESS_TOKEN.matcher(response.body());
            if (response.statusCode() != 200 || !m.find()) {
                throw new IllegalStateException("no token from Keycloak: HTTP " + response.statusCode());
            }
            return m.group(1);
        } catch (IOException e) {
            throw new IllegalStateException("Keycloak unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
