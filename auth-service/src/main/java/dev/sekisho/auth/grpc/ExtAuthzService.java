package dev.sekisho.auth.grpc;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.client.RatelimitClient;
import dev.sekisho.auth.client.SecretsClient;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.CallerContext;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.common.security.InvalidToken;
import dev.sekisho.common.security.TokenVerifier;
import dev.sekisho.common.problem.Problem;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.Key;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.Authorization;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * Envoy's external authorization check ({@code envoy.service.auth.v3.Authorization/Check}): a gateway puts
 * Sekisho in front of any API. A request passes with a valid bearer token (verified locally) or a valid API key
 * (verified by secrets-service), the route's required role when the route names one
 * ({@code context_extensions: sekisho.required_role}) and, when configured, the caller's rate budget. Allowed
 * requests get identity headers for the upstream (x-sekisho-*, overwriting anything the client sent); denied ones
 * get 401 / 403 / 429 / 503 with a problem body. Every denial is audited.
 */
@GrpcService
public class ExtAuthzService implements Authorization {

    static final String REQUIRED_ROLE = "sekisho.required_role";
    static final List<String> IDENTITY_HEADERS = List.of("x-sekisho-subject", "x-sekisho-username", "x-sekisho-roles",
            "x-sekisho-client", "x-sekisho-auth");
    private static final Logger LOG = Logger.getLogger(ExtAuthzService.class);

    @Inject
    TokenVerifier verifier;

    @Inject
    SecurityEvents events;

    @Inject
    AuthSettings settings;


    @Inject
    ObjectMapper json;

    @Inject
    RatelimitClient ratelimit;

    @Inject
    SecretsClient secrets;

    /** Who a request was authenticated as. */
    record Caller(String subject, String username, List<String> roles, String client, String method) {
    }

    @Override
    public Uni<CheckResponse> check(io.envoyproxy.envoy.service.auth.v3.CheckRequest request) {
        AttributeContext attributes = request.getAttributes();
        AttributeContext.HttpRequest http = attributes.getRequest().getHttp();
        Map<String, String> headers = http.getHeadersMap();
        String ip = sourceIp(attributes);
        String path = http.getPath().length() > 512 ? http.getPath().substring(0, 512) : http.getPath();
        String requiredRole = attributes.getContextExtensionsOrDefault(REQUIRED_ROLE, "");

        Uni<Caller> caller;
        String bearer = TokenVerifier.bearer(headers.get("authorization"));
        String apiKey = headers.get("x-api-key");
        if (bearer != null) {
            caller = verifier.verify(bearer).map(t -> new Caller(t.subject(), t.username(), t.roles(), t.clientId(), "bearer"));
        } else if (apiKey != null && !apiKey.isBlank()) {
            caller = verifyApiKey(apiKey, ip);
        } else {
            return deny(StatusCode.Unauthorized, Status.Code.UNAUTHENTICATED, ProblemType.UNAUTHORIZED,
                    "A bearer token or an API key is required.", "no credentials", ip, path, null, Map.of("WWW-Authenticate", "Bearer"));
        }
        return caller.flatMap(who -> {
            if (!requiredRole.isEmpty() && !who.roles().contains(requiredRole)) {
                return deny(StatusCode.Forbidden, Status.Code.PERMISSION_DENIED, ProblemType.FORBIDDEN,
                        "This route needs the role " + requiredRole + ".", "missing role " + requiredRole, ip, path, who, Map.of());
            }
            return withinBudget(who).flatMap(retryAfter -> retryAfter == null ? Uni.createFrom().item(allow(who))
                    : deny(StatusCode.TooManyRequests, Status.Code.RESOURCE_EXHAUSTED, ProblemType.RATE_LIMITED,
                            "Too many requests.", "rate limited", ip, path, who, Map.of("Retry-After", retryAfter)));
        }).onFailure(InvalidToken.class).recoverWithUni(e -> deny(StatusCode.Unauthorized, Status.Code.UNAUTHENTICATED,
                ProblemType.UNAUTHORIZED, "The credentials are not valid: " + e.getMessage() + ".", e.getMessage(), ip, path, null,
                Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\"")))
                .onFailure(e -> !(e instanceof InvalidToken)).recoverWithUni(e -> {
                    LOG.warnf("ext_authz check could not decide: %s", e.toString());
                    return deny(StatusCode.ServiceUnavailable, Status.Code.UNAVAILABLE, ProblemType.UNAVAILABLE,
                            "Authorization cannot be decided right now.", "unavailable: " + e.getClass().getSimpleName(), ip, path,
                            null, Map.of("Retry-After", "1"));
                });
    }

    private Uni<Caller> verifyApiKey(String apiKey, String ip) {
        if (apiKey.length() > 512) {
            return Uni.createFrom().failure(new InvalidToken("malformed API key"));
        }
        VerifyApiKeyRequest request = VerifyApiKeyRequest.newBuilder().setApiKey(apiKey).setSourceIp(ip).build();
        return Uni.createFrom().deferred(() -> secrets.verifyApiKey(request))
                .emitOn(CallerContext.current())
                .map(r -> {
                    if (!r.getValid()) {
                        throw new InvalidToken("API key " + (r.getReason().isEmpty() ? "refused" : r.getReason()));
                    }
                    return new Caller("apikey:" + r.getKeyId(), r.getOwner(), r.getRolesList(), r.getKeyId(), "api-key");
                });
    }

    /** Null when the request may pass, else the Retry-After seconds. Without a configured policy, always null. */
    private Uni<String> withinBudget(Caller who) {
        if (settings.gatewayRatePolicy().isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        CheckRequest request = CheckRequest.newBuilder().setPolicy(settings.gatewayRatePolicy().get())
                .addKeys(Key.newBuilder().setName("subject").setValue(who.subject())).build();
        return Uni.createFrom().deferred(() -> ratelimit.gatewayBudget(request))
                .emitOn(CallerContext.current())
                .map(r -> r.getAllowed() ? null : String.valueOf(Math.max(1, r.getRetryAfter().getSeconds())));
    }

    private CheckResponse allow(Caller who) {
        OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
        set(ok, "x-sekisho-subject", who.subject());
        set(ok, "x-sekisho-username", who.username());
        set(ok, "x-sekisho-roles", String.join(",", who.roles()));
        set(ok, "x-sekisho-client", who.client());
        set(ok, "x-sekisho-auth", who.method());
        return CheckResponse.newBuilder()
                .setStatus(com.google.rpc.Status.newBuilder().setCode(Status.Code.OK.value()))
                .setOkResponse(ok)
                .build();
    }

    /** Identity headers overwrite whatever the client sent; an empty one is removed so it cannot be forged. */
    private static void set(OkHttpResponse.Builder ok, String name, String value) {
        if (value == null || value.isEmpty()) {
            ok.addHeadersToRemove(name);
            return;
        }
        ok.addHeaders(HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }

    private Uni<CheckResponse> deny(StatusCode http, Status.Code grpc, ProblemType type, String detail, String reason, String ip,
            String path, Caller who, Map<String, String> extraHeaders) {
        DeniedHttpResponse.Builder denied = DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCode(http))
                .setBody(problemBody(type, detail, path))
                .addHeaders(header("content-type", Problem.MEDIA_TYPE));
        extraHeaders.forEach((name, value) -> denied.addHeaders(header(name, value)));
        CheckResponse response = CheckResponse.newBuilder()
                .setStatus(com.google.rpc.Status.newBuilder().setCode(grpc.value()).setMessage(detail))
                .setDeniedResponse(denied)
                .build();
        Who actor = who == null ? new Who(ActorType.ACTOR_TYPE_ANONYMOUS, "", ip, "", "")
                : new Who(who.method().equals("api-key") ? ActorType.ACTOR_TYPE_API_KEY : ActorType.ACTOR_TYPE_USER,
                        who.username() != null ? who.username() : who.subject(), ip, "", nz(who.client()));
        return events.audit("auth.check.denied", actor, "route", path, Outcome.OUTCOME_DENIED, reason,
                Map.of("status", String.valueOf(http.getNumber())))
                .onFailure().invoke(e -> LOG.warnf("a denied check could not be audited: %s", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull()
                .replaceWith(response);
    }

    private String problemBody(ProblemType type, String detail, String path) {
        try {
            return json.writeValueAsString(Problem.of(type, detail).withInstance(path));
        } catch (JsonProcessingException e) {
            return "{}";
        }
    }

    private static HeaderValueOption header(String name, String value) {
        return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD).build();
    }

    private static String sourceIp(AttributeContext attributes) {
        var address = attributes.getSource().getAddress();
        return address.hasSocketAddress() ? address.getSocketAddress().getAddress() : "";
    }


    private static String nz(String text) {
        return text == null ? "" : text;
    }
}
