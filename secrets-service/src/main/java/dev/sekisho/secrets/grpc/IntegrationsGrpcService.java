package dev.sekisho.secrets.grpc;

import java.time.Instant;
import java.util.function.Function;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.common.net.PeerAddress;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.Integrations;
import dev.sekisho.secrets.v1.AssignOwnerRequest;
import dev.sekisho.secrets.v1.Integration;
import dev.sekisho.secrets.v1.IntegrationApproval;
import dev.sekisho.secrets.v1.IntegrationRequest;
import dev.sekisho.secrets.v1.ListIntegrationsRequest;
import dev.sekisho.secrets.v1.ListIntegrationsResponse;
import dev.sekisho.secrets.v1.OwnerLeftRequest;
import dev.sekisho.secrets.v1.OwnerLeftResponse;
import dev.sekisho.secrets.v1.ProposeIntegrationRequest;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;

/**
 * The integration registry over gRPC ({@code sekisho.secrets.v1.Integrations}): the same roles per method as REST, and
 * the same {@link Integrations} checks (four eyes, states in order), audit and signals; and the leaver call auth-service
 * makes when Keycloak says a user was disabled.
 */
@GrpcService
@Authenticated
public class IntegrationsGrpcService implements dev.sekisho.secrets.v1.Integrations {

    @Inject
    Integrations integrations;

    @Inject
    CurrentIdentityAssociation identities;

    @Override
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Integration> proposeIntegration(ProposeIntegrationRequest r) {
        return call(who -> integrations.propose(who, new Integrations.NewIntegration(r.getName(), r.getOwner(), r.getDepartment(),
                r.getPurpose(), r.getDataClassesList(), r.getDestinationsList(), r.getServiceClientsList())));
    }

    @Override
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<Integration> getIntegration(IntegrationRequest r) {
        return call(who -> integrations.get(r.getId()));
    }

    @Override
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<ListIntegrationsResponse> listIntegrations(ListIntegrationsRequest r) {
        if (r.getLimit() > Integrations.MAX_LIST) {
            return Uni.createFrom().failure(GrpcProblems.invalidArgument("limit must be between 1 and " + Integrations.MAX_LIST));
        }
        return accessor().chain(who -> integrations.list(r.getState().isEmpty() ? null : r.getState(), r.getOwner().isEmpty() ? null : r.getOwner(),
                r.getAfter(), r.getLimit() == 0 ? 100 : (int) r.getLimit()))
                .map(views -> ListIntegrationsResponse.newBuilder().addAllIntegrations(views.stream().map(IntegrationsGrpcService::integration)
                        .toList()).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    @Override
    @RolesAllowed(Permissions.APPROVER)
    public Uni<Integration> approveIntegration(IntegrationRequest r) {
        return call(who -> integrations.approve(who, r.getId(), r.getNote()));
    }

    @Override
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Integration> activateIntegration(IntegrationRequest r) {
        return call(who -> integrations.activate(who, r.getId()));
    }

    @Override
    @RolesAllowed({Permissions.APPROVER, Permissions.ADMIN})
    public Uni<Integration> suspendIntegration(IntegrationRequest r) {
        return call(who -> integrations.suspend(who, r.getId(), r.getNote()));
    }

    @Override
    @RolesAllowed(Permissions.APPROVER)
    public Uni<Integration> resumeIntegration(IntegrationRequest r) {
        return call(who -> integrations.resume(who, r.getId(), r.getNote()));
    }

    @Override
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Integration> retireIntegration(IntegrationRequest r) {
        return call(who -> integrations.retire(who, r.getId(), r.getNote()));
    }

    @Override
    @RolesAllowed({Permissions.APPROVER, Permissions.ADMIN})
    public Uni<Integration> assignIntegrationOwner(AssignOwnerRequest r) {
        return call(who -> integrations.assignOwner(who, r.getId(), r.getOwner(), r.getReason()));
    }

    @Override
    @RolesAllowed(Permissions.SECRETS_SUSPEND_INTEGRATIONS)
    public Uni<OwnerLeftResponse> suspendIntegrationsOwnedBy(OwnerLeftRequest r) {
        return accessor().chain(who -> integrations.suspendOwnedBy(who, r.getOwner(), r.getReason()))
                .map(ids -> OwnerLeftResponse.newBuilder().addAllSuspended(ids).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    private Uni<Integration> call(Function<Accessor, Uni<Integrations.View>> action) {
        return accessor().chain(who -> action.apply(who)).map(IntegrationsGrpcService::integration)
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    /** The verified caller; an API key never changes the registry it is governed by. */
    private Uni<Accessor> accessor() {
        String peer = PeerAddress.current();
        return identities.getDeferredIdentity().map(identity -> {
            Accessor who = Accessor.of(identity, peer, "");
            if (who.isApiKey()) {
                throw new ProblemException(dev.sekisho.common.problem.ProblemType.FORBIDDEN, "An API key does not change the registry.");
            }
            return who;
        });
    }

    static Integration integration(Integrations.View v) {
        Integration.Builder out = Integration.newBuilder().setId(v.id()).setName(v.name()).setOwner(v.owner()).setDepartment(v.department())
                .setPurpose(v.purpose()).addAllDataClasses(v.dataClasses()).addAllDestinations(v.destinations())
                .addAllServiceClients(v.serviceClients()).setState(v.state())
                .setStateReason(nz(v.stateReason())).setSuspendedFor(nz(v.suspendedFor())).setApprovalsRequired(v.approvalsRequired())
                .setRequestedBy(v.requestedBy()).setCreatedAt(timestamp(v.createdAt())).setUpdatedAt(timestamp(v.updatedAt()));
        for (Integrations.Approval a : v.approvals()) {
            out.addApprovals(IntegrationApproval.newBuilder().setApprover(a.approver()).setApprovedAt(timestamp(a.approvedAt()))
                    .setNote(nz(a.note())));
        }
        return out.build();
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }

    private static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
