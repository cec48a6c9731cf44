package dev.sekisho.it.bench;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;

/**
 * The auth benchmark's yardstick, not a product: the least a JVM service can do for a login with the steps the
 * issue requires, in the same order as auth-service. Read the JSON body; ask ratelimit-service for the per-user and
 * per-address budget over gRPC (the real service, before Keycloak is called, with svc-auth's token: the auth domain is
 * protected; the token is fetched at start and every four minutes, as auth-service keeps its own); send Keycloak's
 * password + TOTP grant;
 * check the token's {@code amr} for the second factor; append the audit event to a Redis stream before answering;
 * answer with Keycloak's tokens. Plain Vert.x on its event loops: no validation, problem bodies, timeouts, breakers,
 * metrics, tracing or error paths worth the name. What it adds to Keycloak's median on the bench's machine bounds
 * what a login service with these steps can add there.
 *
 * <p>Run as its own process by {@link AuthBenchmark}: {@code LeanLoginServer PORT KEYCLOAK_URL RATELIMIT_PORT REDIS_URL}.
 */
public final class LeanLoginServer extends AbstractVerticle {

    private final int port;
    private final String keycloakUrl;
    private final int ratelimitPort;
    private final String redisUrl;
    private HttpClient keycloak;
    private GrpcClient grpc;
    private RedisConnection redis;
    private volatile String serviceToken;

    LeanLoginServer(int port, String keycloakUrl, int ratelimitPort, String redisUrl) {
        this.port = port;
        this.keycloakUrl = keycloakUrl;
        this.ratelimitPort = ratelimitPort;
        this.redisUrl = redisUrl;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx();
        vertx.deployVerticle(() -> new LeanLoginServer(port, args[1], Integer.parseInt(args[2]), args[3]),
                new DeploymentOptions().setInstances(2 * Runtime.getRuntime().availableProcessors()))
                .toCompletionStage().toCompletableFuture().get();
        System.out.println("listening on " + port);
    }

    @Override
    public void start(Promise<Void> started) {
        keycloak = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
        grpc = GrpcClient.client(vertx);
        vertx.setPeriodic(240_000, id -> fetchServiceToken());
        fetchServiceToken().compose(ignored -> Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl)).connect()
                .compose(connection -> {
                    redis = connection;
                    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                            .requestHandler(request -> request.body().onSuccess(body -> login(request, body.toJsonObject())))
                            .listen();
                }))
                .<Void>mapEmpty().onComplete(started);
    }

    private void login(HttpServerRequest request, JsonObject body) {
        String username = body.getString("username");
        String address = request.getHeader("X-Forwarded-For");
        budget(username, address).compose(allowed -> {
            if (!allowed) {
                return Future.succeededFuture(new Answer(429, "{}"));
            }
            return grant(username, body.getString("password"), body.getString("totp")).compose(answer -> {
                String outcome = answer.status() == 200 && secondFactor(answer.body()) ? "success" : "failure";
                return redis.send(Request.cmd(Command.XADD).arg("lean:outbox").arg("*").arg("id").arg(UUID.randomUUID().toString())
                                .arg("action").arg("login").arg("outcome").arg(outcome).arg("user").arg(username).arg("address").arg(address))
                        .map(stored -> outcome.equals("success") ? answer : new Answer(401, "{}"));
            });
        }).onComplete(done -> {
            Answer answer = done.succeeded() ? done.result() : new Answer(503, "{}");
            request.response().setStatusCode(answer.status()).putHeader("Content-Type", "application/json").end(answer.body());
        });
    }

    private Future<Boolean> budget(String username, String address) {
        RateLimitRequest budget = RateLimitRequest.newBuilder().setDomain("auth")
                .addDescriptors(AuthBenchmark.descriptor("username", username))
                .addDescriptors(AuthBenchmark.descriptor("source_ip", address))
                .build();
        return grpc.request(SocketAddress.inetSocketAddress(ratelimitPort, "127.0.0.1"), RateLimitServiceGrpc.getShouldRateLimitMethod())
                .compose(call -> {
                    call.headers().set("authorization", "Bearer " + serviceToken);
                    return call.send(budget);
                })
                .compose(GrpcClientResponse::last)
                .map(answer -> answer.getOverallCode() != RateLimitResponse.Code.OVER_LIMIT);
    }

    /** svc-auth's client-credentials token, the identity allowed to spend the auth domain. */
    private Future<Void> fetchServiceToken() {
        String form = "grant_type=client_credentials&client_id=svc-auth&client_secret=svc-auth-dev-secret";
        return keycloak.request(new RequestOptions().setMethod(HttpMethod.POST)
                        .setAbsoluteURI(keycloakUrl + "/realms/sekisho/protocol/openid-connect/token")
                        .putHeader("Content-Type", "application/x-www-form-urlencoded"))
                .compose(call -> call.send(Buffer.buffer(form)))
                .compose(response -> response.body())
                .map(text -> {
                    serviceToken = new JsonObject(text.toString()).getString("access_token");
                    return null;
                });
    }

    private Future<Answer> grant(String username, String password, String totp) {
        String form = AuthBenchmark.grantForm(username, password, totp);
        return keycloak.request(new RequestOptions().setMethod(HttpMethod.POST)
                        .setAbsoluteURI(keycloakUrl + "/realms/sekisho/protocol/openid-connect/token")
                        .putHeader("Content-Type", "application/x-www-form-urlencoded"))
                .compose(call -> call.send(Buffer.buffer(form)))
                .compose(response -> response.body().map(text -> new Answer(response.statusCode(), text.toString())));
    }

    /** Whether the access token says a one-time code was used (Keycloak's amr claim: "pwd" and "otp"). */
    private static boolean secondFactor(String tokens) {
        String accessToken = new JsonObject(tokens).getString("access_token");
        String payload = accessToken.split("\\.")[1];
        JsonArray amr = new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8))
                .getJsonArray("amr", new JsonArray());
        return amr.contains("otp");
    }

    private record Answer(int status, String body) {
    }
}
