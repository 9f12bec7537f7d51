@pomelo
Feature: KYC sessions for individuals
  Create a session from a validation flow (POST /identity/v2/sessions), upload documents as multipart
  (POST /identity/v1/sessions/{id}/entities/{user}/files/{type}), get, cancel and report it (seed 001).
  Flows are configured in the provider: against a mock these scenarios set one up through its control
  API, elsewhere they use the flow configured for the country (providers.pomelo.options.flows).

  @KYC-01 @DOC-02
  Scenario: a session is created from a validation flow and gets a unique id
    Given a validation flow for ARG
    When I create a KYC session for a new user
    Then the provider answers 201
    And the session has a new unique id
    And the session is "IN_PROGRESS"
    When I create a KYC session for a new user
    Then the session has a new unique id

  @KYC-02
  Scenario Outline: sessions can be created in <country>
    Given a validation flow for <country>
    When I create a KYC session for a new user
    Then the provider answers 201
    And the session's country is "<country>"

    Examples:
      | country |
      | ARG     |
      | BRA     |
      | MEX     |
      | COL     |
      | PER     |
      | CHL     |

  @KYC-03 @KYC-04
  Scenario Outline: <country> accepts a "<type>" upload
    Given a validation flow for <country>
    And a KYC session for a new user
    When I upload a "<type>" for the session's user
    Then the provider answers 201

    Examples:
      | country | type                 |
      | ARG     | selfie               |
      | ARG     | identity-card-front  |
      | ARG     | identity-card-back   |
      | BRA     | selfie               |
      | BRA     | identity-card-front  |
      | BRA     | identity-card-back   |
      | BRA     | driver-license-front |
      | BRA     | driver-license-back  |

  @KYC-04
  Scenario Outline: <country> refuses a "<type>" upload
    Given a validation flow for <country>
    And a KYC session for a new user
    When I upload a "<type>" for the session's user
    Then the provider answers 400

    Examples:
      | country | type                 |
      | ARG     | driver-license-front |
      | ARG     | driver-license-back  |
      | ARG     | passport             |
      | BRA     | passport             |
      | BRA     | company-document     |

  @KYC-03
  Scenario: an upload must be an image or a PDF
    Given a validation flow for ARG
    And a KYC session for a new user
    When I upload a "selfie" as "text/plain" for the session's user
    Then the provider answers 400

  @KYC-05 @KYC-04
  Scenario: the session is validated once every required document is in
    Given a validation flow for ARG
    And a KYC session for a new user
    When I get the session
    Then the provider answers 200
    And the session is "IN_PROGRESS"
    When I upload a selfie and both sides of the identity card
    And I get the session
    Then the session is "VALIDATED"

  @KYC-05 @DOC-01
  Scenario: the session is read at the plural path, the one every other endpoint uses
    Given a validation flow for ARG
    And a KYC session for a new user
    When I get the session
    Then the provider answers 200
    And the session is "IN_PROGRESS"

  @KYC-06 @DOC-04
  Scenario: a cancelled session accepts no more uploads
    Given a validation flow for ARG
    And a KYC session for a new user
    When I cancel the session
    Then the provider answers 200
    And the session is "CANCELLED"
    When I upload a "selfie" for the session's user
    Then the provider answers 409

  @KYC-07
  Scenario: the report returns what the session collected
    Given a validation flow for ARG
    And a KYC session for a new user
    When I upload a selfie and both sides of the identity card
    And I ask for the session's report
    Then the provider answers 200
    And the report shows the status "VALIDATED" and the documents "selfie, identity-card-front, identity-card-back"

  @KYC-17
  Scenario Outline: a session that does not exist answers 404 on <call>
    When I <call> a session that does not exist
    Then the provider answers 404

    Examples:
      | call                  |
      | get                   |
      | cancel                |
      | ask for the report of |
      | upload a selfie to    |

  @KYC-13 @destructive
  Scenario: cleaning by user id lets the same user start again
    Given a validation flow for ARG
    And a user "usr-cleanme1" with a session validated through the public API
    And a new KYC session cannot be created for "usr-cleanme1"
    When I clean validations with user id "usr-cleanme1" and document number ""
    Then the provider answers 200
    And a new KYC session can be created for "usr-cleanme1"

  @KYC-13 @control @destructive
  Scenario: cleaning by document number
    Given a validation flow for ARG
    And a user "usr-cleanme2" with document number "20444555666" and a validated session
    When I clean validations with user id "" and document number "20444555666"
    Then the provider answers 200
    And a new KYC session can be created for "usr-cleanme2"

  @KYC-13 @control @destructive
  Scenario: with both a user id and a document number, the user id wins
    Given a validation flow for ARG
    And a user "usr-cleanme3" with document number "20777888999" and a validated session
    And a user "usr-cleanme4" with document number "20123123123" and a validated session
    When I clean validations with user id "usr-cleanme3" and document number "20123123123"
    Then the provider answers 200
    And a new KYC session can be created for "usr-cleanme3"
    And a new KYC session cannot be created for "usr-cleanme4"
