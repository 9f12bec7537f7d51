@gu1
Feature: gu1 KYC validations (POST /api/kyc/validations)
  A KYC validation for a person entity answers 201 with a session URL to share (seed 002, Spanish).
  metadata may hold at most 10KB: the harness counts the bytes of its compact JSON text, UTF-8
  (10240 bytes pass, 10241 do not). Entities are created first through the Entities API.

  @GU1-10
  Scenario Outline: a <type> entity is created through the Entities API
    Given a <type> entity created through the Entities API
    Then the provider answers 201

    Examples:
      | type    |
      | person  |
      | company |

  @GU1-10
  Scenario Outline: a <type> entity reads back as it was created
    Given a <type> entity created through the Entities API
    When I read the entity back
    Then the provider answers 200

    Examples:
      | type    |
      | person  |
      | company |

  @GU1-10 @GU1-07
  Scenario: an entity that does not exist is not found
    When I read an entity that does not exist
    Then the provider answers 404 with error code "ENTITY_NOT_FOUND"
    And the error message is "Entity not found"

  @GU1-05 @GU1-02 @GU1-03 @DOC-07
  Scenario: a validation for a person answers 201 with the whole validation
    Given a person entity created through the Entities API
    And a validation request for the entity
    When I create the KYC validation
    Then the provider answers 201
    And the validation is pending and current, with a session URL to share

  @GU1-03
  Scenario: workflowId and webhookUrl may be given
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request field "workflowId" is "wf-onboarding-ar"
    And the request field "webhookUrl" is "https://hooks.example.com/kyc"
    When I create the KYC validation
    Then the validation is pending and current, with a session URL to share

  @GU1-02
  Scenario: entityId is required
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request field "entityId" is removed
    When I create the KYC validation
    Then the request is rejected as invalid at "/entityId"

  @GU1-02
  Scenario Outline: entityId must be a UUID, not "<value>"
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request field "entityId" is "<value>"
    When I create the KYC validation
    Then the request is rejected as invalid at "/entityId"

    Examples:
      | value                                |
      | 123                                  |
      | 123e4567-e89b-12d3-a456-42661417400  |
      | person-123e4567                      |

  @GU1-04
  Scenario Outline: metadata of <bytes> bytes is accepted and echoed
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request's metadata is <bytes> bytes of compact JSON
    When I create the KYC validation
    Then the provider answers 201
    And the validation's metadata is the one sent

    Examples:
      | bytes |
      | 8     |
      | 10239 |
      | 10240 |

  @GU1-04
  Scenario Outline: metadata of <bytes> bytes is refused
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request's metadata is <bytes> bytes of compact JSON
    When I create the KYC validation
    Then the provider answers 400

    Examples:
      | bytes |
      | 10241 |
      | 20000 |

  @GU1-04
  Scenario: metadata must be an object
    Given a person entity created through the Entities API
    And a validation request for the entity
    And the request field "metadata" is "userId=user_12345"
    When I create the KYC validation
    Then the request is rejected as invalid at "/metadata"

  @GU1-07
  Scenario: an entity that does not exist
    Given a validation request for an entity that does not exist
    When I create the KYC validation
    Then the provider answers 404 with error code "ENTITY_NOT_FOUND"
    And the error message is "Entity not found"

  @GU1-08
  Scenario: a company cannot have a KYC validation
    Given a company entity created through the Entities API
    And a validation request for the entity
    When I create the KYC validation
    Then the provider answers 400 with error code "INVALID_ENTITY_TYPE"
    And the error message is "KYC validation is only available for person entities"

  @GU1-09 @DOC-08
  Scenario: an organisation without the KYC integration
    Given an organisation without the KYC integration
    And a person entity created through the Entities API
    And a validation request for the entity
    When I create the KYC validation
    Then the provider answers 400 with error code "KYC_NOT_CONFIGURED"
    And the error message is "La integración KYC no está configurada for this organization. Please contact your administrator."

  @GU1-01
  Scenario Outline: <method> <path> without an API key is refused
    When I call gu1 <method> "<path>" without an API key
    Then the provider answers 401

    Examples:
      | method | path                                                                   |
      | POST   | /api/kyc/validations                                                   |
      | GET    | /api/kyc/validations/550e8400-e29b-41d4-a716-446655440000              |
      | GET    | /api/kyc/entities/123e4567-e89b-12d3-a456-426614174000/validations     |
      | POST   | /api/entities                                                          |

  @GU1-06
  Scenario: a new validation is in one of the documented statuses
    The statuses a validation moves through are the provider's to decide: against a mock the scenarios
    below move it with the control API; any target shows where a new one stands.
    Given a person entity created through the Entities API
    And a validation request for the entity
    And I create the KYC validation
    When I get the latest validation
    Then the validation's status is one of pending, in_progress, approved, rejected, expired, abandoned

  @GU1-11
  Scenario: the validation is read back by its id
    Given a person entity created through the Entities API
    And a validation request for the entity
    And I create the KYC validation
    When I get the latest validation
    Then the validation is "pending" and current

  @GU1-12
  Scenario: a new validation becomes the current one
    Given a person entity created through the Entities API
    And a validation request for the entity
    And I create the KYC validation
    When I create the KYC validation
    Then the validation is "pending" and current
    When I get the first validation
    Then the validation is "pending" and not current

  @GU1-06 @GU1-11 @control
  Scenario Outline: the validation moves to <status>
    Given a person entity created through the Entities API
    And a validation request for the entity
    And I create the KYC validation
    When the validation moves to "<status>"
    And I get the latest validation
    Then the validation is "<status>"

    Examples:
      | status      |
      | in_progress |
      | approved    |
      | rejected    |
      | expired     |
      | abandoned   |
