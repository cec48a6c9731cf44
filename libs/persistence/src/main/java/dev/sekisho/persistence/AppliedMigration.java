package dev.sekisho.persistence;

import java.time.LocalDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.Immutable;

/** A row of Flyway's history table, read through Hibernate Reactive: which schema version the service runs on. */
@Entity
@Immutable
@Table(name = "flyway_schema_history")
public class AppliedMigration {

    @Id
    @Column(name = "installed_rank")
    public int installedRank;

    public String version;

    public String description;

    public boolean success;

    @Column(name = "installed_on")
    public LocalDateTime installedOn;
}
