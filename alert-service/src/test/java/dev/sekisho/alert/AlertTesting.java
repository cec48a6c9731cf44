package dev.sekisho.alert;

import static io.restassured.RestAssured.given;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Timestamp;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** What alert-service's tests share: tokens (a person's login waits for a one-time code, so each is reused), signals, the database. */
final class AlertTesting {

    private static final long REUSE_NANOS = TimeUnit.SECONDS.toNanos(200);
    private static final Map<String, String> TOKENS = new java.util.HashMap<>();
    private static final Map<String, Long> SINCE = new java.util.HashMap<>();

    private AlertTesting() {
    }

    static synchronized String person(String user) {
        Long since = SINCE.get(user);
        if (since == null || System.nanoTime() - since > REUSE_NANOS) {
            String token = switch (user) {
                case KeycloakTokens.DEMO -> KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
                case KeycloakTokens.AUDITOR -> KeycloakTokens.auditor();
                default -> throw new IllegalArgumentException(user);
            };
            TOKENS.put(user, token);
            SINCE.put(user, System.nanoTime());
        }
        return TOKENS.get(user);
    }

    static RequestSpecification asOperator() {
        return given().auth().oauth2(person(KeycloakTokens.DEMO)).contentType(ContentType.JSON);
    }

    static RequestSpecification asAuditor() {
        return given().auth().oauth2(person(KeycloakTokens.AUDITOR)).contentType(ContentType.JSON);
    }

    static ManagedChannel channel(java.net.URL url, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    static AlertsGrpc.AlertsBlockingStub asService(ManagedChannel channel) {
        return AlertsGrpc.newBlockingStub(channel);
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static SecuritySignal signal(String kind, Map<String, String> labels) {
        return signal(kind, labels, Instant.now());
    }

    static SecuritySignal signal(String kind, Map<String, String> labels, Instant at) {
        return SecuritySignal.newBuilder().setSignalId(UUID.randomUUID().toString()).setKind(kind).setSeverity(Severity.SEVERITY_INFO)
                .setOccurredAt(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()))
                .putAllLabels(labels).setTraceId(UUID.randomUUID().toString().replace("-", "")).setSummary("test").build();
    }

    static Connection jdbc() throws SQLException {
        PostgresServer.Connection c = SharedServers.postgres();
        return DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password());
    }

    static long count(String sql, Object... args) throws SQLException {
        try (Connection c = jdbc(); var st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static long maxOutboxId() throws SQLException {
        return count("select coalesce(max(id), 0) from sekisho_outbox");
    }

    static List<AuditEvent> auditEventsAfter(long id) throws Exception {
        List<AuditEvent> events = new ArrayList<>();
        try (Connection c = jdbc(); var st = c.prepareStatement("select payload from sekisho_outbox where id > ? and stream like '%audit%' order by id")) {
            st.setLong(1, id);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    events.add(AuditEvent.parseFrom(rs.getBytes(1)));
                }
            }
        }
        return events;
    }

    /** Alerts of a rule whose labels hold the value (the tests' unique users, addresses, instances). */
    static long alerts(String ruleId, String labelValue) throws SQLException {
        return count("select count(*) from alert where rule_id = ? and labels::text like ?", ruleId, "%\"" + labelValue + "\"%");
    }

    /** Waits up to {@code seconds} for the condition (an asynchronous job's effect); false if it never held. */
    static boolean eventually(int seconds, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            if (condition.call()) {
                return true;
            }
            Thread.sleep(200);
        }
        return condition.call();
    }
}
