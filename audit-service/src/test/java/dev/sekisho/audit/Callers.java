package dev.sekisho.audit;

import java.net.URL;

import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;

/** The audit log's callers with real Keycloak tokens: services that write, auditors who read. */
final class Callers {

    private Callers() {
    }

    /** A gRPC channel that presents a service account's token, as a Sekisho service does. */
    static ManagedChannel asService(URL url) {
        return withToken(url, KeycloakTokens.service("auth"));
    }

    static ManagedChannel withToken(URL url, String token) {
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        return ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    /** REST as an auditor who logged in with password and TOTP. */
    static RequestSpecification asAuditor() {
        return RestAssured.given().auth().oauth2(KeycloakTokens.auditor());
    }
}
