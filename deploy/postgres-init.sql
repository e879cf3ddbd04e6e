-- One database per service (each service migrates its own at start).
CREATE DATABASE campus_catalog;
CREATE DATABASE campus_enrollment;
CREATE DATABASE campus_projects;
CREATE DATABASE campus_funding;
CREATE DATABASE campus_trainers;
CREATE DATABASE campus_webhooks;
