package dev.sekisho.auth.grpc;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.api.AuditLimits;
import dev.sekisho.auth.service.GatewayCheck;
import dev.sekisho.common.net.PeerAddress;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.Problem;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.TokenVerifier;
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
 * Sekisho in front of any API. This class translates Envoy's request for {@link GatewayCheck} (credentials, source
 * address, path, the route's {@code context_extensions}: {@code sekisho.required_role} and {@code sekisho.rate_policy}) and its
 * verdict back: allowed
 * requests get identity headers for the upstream (x-sekisho-*, overwriting anything the client sent); denied ones
 * get 401 / 403 / 429 / 503 with a problem body.
 */
@GrpcService
public class ExtAuthzService implements Authorization {

    static final String REQUIRED_ROLE = "sekisho.required_role";
    /** A route's own budget: a policy of ratelimit-service, in place of {@code sekisho.auth.gateway-rate-policy}. */
    static final String RATE_POLICY = "sekisho.rate_policy";
    static final List<String> IDENTITY_HEADERS = List.of("x-sekisho-subject", "x-sekisho-username", "x-sekisho-roles",
            "x-sekisho-client", "x-sekisho-auth");
    /** Recorded and shown paths are cut to this: the audit record's resource id. */
    static final int MAX_PATH = AuditLimits.RESOURCE_ID;

    @Inject
    GatewayCheck gateway;

    @Inject
    ObjectMapper json;

    @Override
    public Uni<CheckResponse> check(io.envoyproxy.envoy.service.auth.v3.CheckRequest request) {
        AttributeContext attributes = request.getAttributes();
        AttributeContext.HttpRequest http = attributes.getRequest().getHttp();
        Map<String, String> headers = http.getHeadersMap();
        String path = route(http.getPath());
        GatewayCheck.Request question = new GatewayCheck.Request(TokenVerifier.bearer(headers.get("authorization")),
                headers.get("x-api-key"), sourceIp(attributes), path,
                attributes.getContextExtensionsOrDefault(REQUIRED_ROLE, ""), attributes.getContextExtensionsOrDefault(RATE_POLICY, ""),
                PeerAddress.current());
        return gateway.check(question).map(verdict -> verdict.isAllowed() ? allow(verdict.allowed()) : deny(verdict, path));
    }

    /**
     * The path as recorded and shown: without its query string or fragment (tokens, codes and personal data travel
     * there) and cut to {@link #MAX_PATH}.
     */
    static String route(String path) {
        int end = path.length();
        for (char separator : new char[] {'?', '#', ';'}) {
            int at = path.indexOf(separator);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return path.substring(0, Math.min(end, MAX_PATH));
    }

    private static CheckResponse allow(GatewayCheck.Caller who) {
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

    private CheckResponse deny(GatewayCheck.Verdict verdict, String path) {
        ProblemType type = verdict.refusal();
        DeniedHttpResponse.Builder denied = DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.forNumber(type.status())))
                .setBody(problemBody(type, verdict.detail(), path))
                .addHeaders(header("content-type", Problem.MEDIA_TYPE));
        verdict.headers().forEach((name, value) -> denied.addHeaders(header(name, value)));
        return CheckResponse.newBuilder()
                .setStatus(com.google.rpc.Status.newBuilder().setCode(GrpcProblems.code(type).value()).setMessage(verdict.detail()))
                .setDeniedResponse(denied)
                .build();
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
        String claimed = address.hasSocketAddress() ? address.getSocketAddress().getAddress() : "";
        return claimed.length() <= AuditLimits.ACTOR_IP ? claimed : claimed.substring(0, AuditLimits.ACTOR_IP);
    }
}
