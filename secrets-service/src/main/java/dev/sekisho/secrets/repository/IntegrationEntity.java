package dev.sekisho.secrets.repository;

import java.time.Instant;
import java.util.List;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An integration of the registry: what it is, who owns it, what data it sends where, and where it stands. */
@Entity
@Table(name = "integration")
public class IntegrationEntity {

    @Id
    public String id;

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public String owner;

    @Column(nullable = false)
    public String department;

    @Column(nullable = false)
    public String purpose;

    @Convert(converter = CommaList.class)
    @Column(name = "data_classes", nullable = false)
    public List<String> dataClasses;

    @Convert(converter = CommaList.class)
    @Column(nullable = false)
    public List<String> destinations;

    /** The Keycloak clients whose machine tokens it uses. */
    @Convert(converter = CommaList.class)
    @Column(name = "service_clients", nullable = false)
    public List<String> serviceClients = List.of();

    @Column(nullable = false)
    public String state;

    @Column(name = "approvals_required", nullable = false)
    public int approvalsRequired;

    @Column(name = "requested_by", nullable = false)
    public String requestedBy;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "state_reason", nullable = false)
    public String stateReason = "";

    /** Why it is suspended when no person decided it: {@code owner_left}, {@code review_unconfirmed}; else empty. */
    @Column(name = "suspended_for", nullable = false)
    public String suspendedFor = "";
}
