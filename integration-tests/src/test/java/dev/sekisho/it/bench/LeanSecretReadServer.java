package dev.sekisho.it.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;

import dev.sekisho.secrets.v1.GetSecretRequest;
import dev.sekisho.secrets.v1.GetSecretResponse;
import dev.sekisho.secrets.v1.SecretsGrpc;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The secrets benchmark's yardstick, not a product: the least a JVM gRPC service can do to answer {@code GetSecret}
 * with secrets-service's own database work and cryptography. Vert.x's gRPC server straight on an HTTP/2 server, the
 * Vert.x PostgreSQL client with a pool of the service's size, the service's one read query for the secret and its
 * version, the data key unwrapped and the value opened (AES-256-GCM twice, the service's associated data), the value's
 * HMAC for the audit record, and an outbox INSERT of an audit record's size committed before the answer. No token
 * check, policy, allow-list, usage tracking, protobuf audit event, metrics or tracing. What it reaches on the bench's
 * machine bounds what any JVM service that reads and audits a secret this way can reach there.
 *
 * <p>Run as its own process by {@link SecretsBenchmark}:
 * {@code LeanSecretReadServer PORT PG_HOST PG_PORT DATABASE USER PASSWORD MASTER_KEY_BASE64 HMAC_KEY_BASE64}.
 */
public final class LeanSecretReadServer extends AbstractVerticle {

    static final String READ = "select s.current_version, v.version, v.nonce, v.ciphertext, v.wrapped_key, v.master_version, "
            + "v.created_at, v.created_by, v.deleted_at, v.destroyed_at from secret s left join secret_version v on v.path = s.path "
            + "and v.version = (case when $2 = 0 then s.current_version else $2 end) where s.path = $1";
    static final String AUDIT = "insert into sekisho_outbox (stream, payload) values ($1, $2)";
    static final ObjectMapper JSON = new ObjectMapper();
    static final TypeReference<Map<String, String>> DATA = new TypeReference<>() {
    };

    private final int port;
    private final Pool pool;
    private final SecretKey master;
    private final byte[] hmacKey;
    private final byte[] auditPadding = new byte[300];

    LeanSecretReadServer(int port, Pool pool, SecretKey master, byte[] hmacKey) {
        this.port = port;
        this.pool = pool;
        this.master = master;
        this.hmacKey = hmacKey;
        new SecureRandom().nextBytes(auditPadding);
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(SecretsBenchmark.POOL).setMaxWaitQueueSize(4096))
                .connectingTo(new PgConnectOptions().setHost(args[1]).setPort(Integer.parseInt(args[2])).setDatabase(args[3])
                        .setUser(args[4]).setPassword(args[5]).setCachePreparedStatements(true))
                .using(vertx).build();
        SecretKey master = new SecretKeySpec(Base64.getDecoder().decode(args[6]), "AES");
        byte[] hmacKey = Base64.getDecoder().decode(args[7]);
        // one instance per event loop, as Quarkus runs its HTTP server; one pool for all, as the service has
        vertx.deployVerticle(() -> new LeanSecretReadServer(port, pool, master, hmacKey),
                new DeploymentOptions().setInstances(2 * Runtime.getRuntime().availableProcessors()))
                .toCompletionStage().toCompletableFuture().get();
        System.out.println("listening on " + port);
    }

    @Override
    public void start(Promise<Void> started) {
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(SecretsGrpc.getGetSecretMethod(), call -> call.handler(request -> read(call, request)));
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)).requestHandler(grpc).listen().<Void>mapEmpty().onComplete(started);
    }

    private void read(GrpcServerRequest<GetSecretRequest, GetSecretResponse> call, GetSecretRequest request) {
        String path = request.getPath();
        PreparedQuery<RowSet<Row>> query = pool.preparedQuery(READ);
        query.execute(Tuple.of(path, (int) request.getVersion())).compose(rows -> {
            Row row = rows.size() == 1 ? rows.iterator().next() : null;
            if (row == null || row.getInteger("version") == null || row.getValue("deleted_at") != null
                    || row.getValue("destroyed_at") != null) {
                return io.vertx.core.Future.failedFuture(new IllegalArgumentException("not found"));
            }
            int version = row.getInteger("version");
            byte[] plaintext = open(path, version, row);
            Map<String, String> data;
            try {
                data = JSON.readValue(plaintext, DATA);
            } catch (java.io.IOException e) {
                return io.vertx.core.Future.failedFuture(e);
            }
            String hmac = hmac(plaintext);
            Arrays.fill(plaintext, (byte) 0);
            Buffer audit = Buffer.buffer().appendString(path).appendString(hmac).appendBytes(auditPadding);
            OffsetDateTime created = row.getOffsetDateTime("created_at");
            GetSecretResponse answer = GetSecretResponse.newBuilder().setPath(path).setVersion(version).putAllData(data)
                    .setCreatedAt(Timestamp.newBuilder().setSeconds(created.toEpochSecond()).setNanos(created.getNano()))
                    .setCreatedBy(row.getString("created_by")).build();
            return pool.preparedQuery(AUDIT).execute(Tuple.of("sekisho.audit", audit)).map(ignored -> answer);
        }).onSuccess(answer -> call.response().end(answer))
                .onFailure(failure -> call.response().status(failure instanceof IllegalArgumentException ? GrpcStatus.NOT_FOUND
                        : GrpcStatus.UNAVAILABLE).end());
    }

    /** The service's envelope: the data key unwrapped by the master key, then the value opened by the data key. */
    private byte[] open(String path, int version, Row row) {
        try {
            int masterVersion = row.getInteger("master_version");
            byte[] wrapped = row.getBuffer("wrapped_key").getBytes();
            byte[] dataKey = gcm(master, Arrays.copyOfRange(wrapped, 0, 12), aad("key", path, version + "\n" + masterVersion),
                    Arrays.copyOfRange(wrapped, 12, wrapped.length));
            try {
                return gcm(new SecretKeySpec(dataKey, "AES"), row.getBuffer("nonce").getBytes(), aad("value", path, String.valueOf(version)),
                        row.getBuffer("ciphertext").getBytes());
            } finally {
                Arrays.fill(dataKey, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the value does not open", e);
        }
    }

    private static byte[] aad(String kind, String path, String tail) {
        return ("sekisho.secret." + kind + ".v1\n" + path + "\n" + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gcm(SecretKey key, byte[] nonce, byte[] aad, byte[] input) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(input);
    }

    private String hmac(byte[] value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            mac.update("secret.value".getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
