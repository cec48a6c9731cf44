package dev.sekisho.it.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import com.google.protobuf.Duration;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The benchmark's yardstick, not a product: the least a JVM gRPC service can do to answer {@code ShouldRateLimit}
 * with ratelimit-service's own fixed-window Lua script. Vert.x's gRPC server straight on an HTTP/2 server, one
 * Redis connection per event loop, the first descriptor's value as the key, one {@code EVALSHA} and the answer; no
 * policies, validation, cache, breaker, timeout, metrics or tracing. What it reaches on the bench's machine bounds
 * what any JVM service with a gRPC front and a Redis decision can reach there. Also answers gRPC health checks.
 *
 * <p>Run as its own process by {@link RateLimitBenchmark}: {@code LeanDecisionServer PORT REDIS_URL}.
 */
public final class LeanDecisionServer extends AbstractVerticle {

    static final int LIMIT = 1_000_000_000;
    static final int WINDOW_MILLIS = 3_600_000;

    private final int port;
    private final String redisUrl;
    private final String sha;
    private RedisConnection redis;

    LeanDecisionServer(int port, String redisUrl, String sha) {
        this.port = port;
        this.redisUrl = redisUrl;
        this.sha = sha;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String redisUrl = args[1];
        Vertx vertx = Vertx.vertx();
        Redis loader = Redis.createClient(vertx, redisUrl);
        String sha = loader.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script())).map(Response::toString)
                .toCompletionStage().toCompletableFuture().get();
        loader.close();
        // one instance per event loop, as Quarkus runs its HTTP server
        vertx.deployVerticle(() -> new LeanDecisionServer(port, redisUrl, sha),
                new DeploymentOptions().setInstances(2 * Runtime.getRuntime().availableProcessors()))
                .toCompletionStage().toCompletableFuture().get();
        System.out.println("listening on " + port);
    }

    @Override
    public void start(Promise<Void> started) {
        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(RateLimitServiceGrpc.getShouldRateLimitMethod(), call -> call.handler(request -> decide(call, request)));
        grpc.callHandler(HealthGrpc.getCheckMethod(), call -> call.handler(request -> call.response()
                .end(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build())));
        Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl).setMaxWaitingHandlers(4096)).connect()
                .compose(connection -> {
                    redis = connection;
                    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                            .requestHandler(grpc).listen();
                })
                .<Void>mapEmpty().onComplete(started);
    }

    private void decide(GrpcServerRequest<RateLimitRequest, RateLimitResponse> call, RateLimitRequest request) {
        if (request.getDescriptorsCount() == 0 || request.getDescriptors(0).getEntriesCount() == 0) {
            call.response().status(GrpcStatus.INVALID_ARGUMENT).end();
            return;
        }
        String key = "sekisho:rl:{" + request.getDomain() + ":" + request.getDescriptors(0).getEntries(0).getValue() + "}";
        redis.send(Request.cmd(Command.EVALSHA).arg(sha).arg(1).arg(key).arg(LIMIT).arg(WINDOW_MILLIS).arg(1))
                .onSuccess(answer -> {
                    Code code = answer.get(0).toInteger() == 1 ? Code.OK : Code.OVER_LIMIT;
                    call.response().end(RateLimitResponse.newBuilder().setOverallCode(code)
                            .addStatuses(RateLimitResponse.DescriptorStatus.newBuilder().setCode(code)
                                    .setLimitRemaining(answer.get(1).toInteger())
                                    .setDurationUntilReset(millis(answer.get(2).toLong())))
                            .build());
                })
                .onFailure(failure -> call.response().status(GrpcStatus.UNAVAILABLE).end());
    }

    private static Duration millis(long millis) {
        return Duration.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
    }

    static String script() throws IOException {
        try (InputStream in = LeanDecisionServer.class.getClassLoader().getResourceAsStream("lua/fixed_window.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
