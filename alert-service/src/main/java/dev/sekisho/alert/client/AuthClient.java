package dev.sekisho.alert.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.auth.v1.DisableUserResponse;
import dev.sekisho.auth.v1.MutinyAuthGrpc;
import dev.sekisho.peers.ServiceToken;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.faulttolerance.api.ApplyGuard;
import io.smallrye.mutiny.Uni;

/** The playbooks' call to auth-service: disable a user (auth-service refuses admins and service accounts to a playbook). */
@ApplicationScoped
public class AuthClient {

    @GrpcClient("auth")
    MutinyAuthGrpc.MutinyAuthStub auth;

    @Inject
    ServiceToken serviceToken;

    @ApplyGuard(Guards.AUTH)
    public Uni<DisableUserResponse> disableUser(String user, String reason) {
        return auth.withCallCredentials(serviceToken.credentials()).disableUser(DisableUserRequest.newBuilder().setUser(user)
                .setReason(reason).build());
    }
}
