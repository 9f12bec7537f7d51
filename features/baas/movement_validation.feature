@baas
Feature: Movement validation with the SMS token (POST /baas/movement_validation)
  The six-digit token from the SMS, sent with the same person, creates the person (seed 004,
  "Token Validation"; the table documents the token under /baas/token_validation, DOC-14).
  Scenarios tagged @sms read the SMS token: from the mock (the SMS gateway) through its control API, or
  against a sandbox from the config file's sms_token_command or sms_token_file.

  Background:
    Given a person to register, built from the seed's example

  # First in the file: against a sandbox it waits for the token to expire, and that wait overlaps the run.
  @BAAS-12
  Scenario: an expired token is refused
    Given an SMS token was requested for the person
    And the token has expired
    When I validate the movement with the token from the SMS
    Then the provider answers 401 with error code "ACC000134"
    And the error title is "Unauthorized"
    And the error description is "Expired token"
    And the error translation is "Token Expirado"
    And the error additional_data is an empty object

  @BAAS-11 @BAAS-15 @sms
  Scenario: the token from the SMS validates the movement and creates the person
    Given an SMS token was requested for the person
    When I validate the movement with the token from the SMS
    Then the movement is validated
    And the created person has status "pending" and type "natural"
    And the created person echoes the name, document number, mother's name, address and phone that were sent
    And the created person has a person_key that is a UUID

  @BAAS-11 @BAAS-15 @sms
  Scenario: a legal person is created with its type
    Given the person field "person_type" is "legal"
    And an SMS token was requested for the person
    When I validate the movement with the token from the SMS
    Then the movement is validated
    And the created person has status "pending" and type "legal"
    And the created person echoes the name, document number, mother's name, address and phone that were sent

  @BAAS-11
  Scenario Outline: the token is a string of exactly six digits, not "<token>"
    Given an SMS token was requested for the person
    When I validate the movement with the token "<token>"
    Then the request is rejected as invalid at "/token"

    Examples:
      | token   |
      | 12345   |
      | 1234567 |
      | abcdef  |
      | 12 345  |

  @BAAS-11 @BAAS-07
  Scenario: the validation needs the person too
    Given the request field "person_creation.person" is removed
    When I validate the movement with the token "076244"
    Then the request is rejected as invalid at "/person_creation/person"

  @BAAS-13 @control
  Scenario: a wrong token is refused
    Given an SMS token was requested for the person
    When I validate the movement with a wrong token
    Then the provider answers 401 with error code "ACC000133"
    And the error title is "Unauthorized"
    And the error description is "Invalid token"
    And the error translation is "Token Inválido"
    And the error additional_data is an empty object

  @BAAS-13 @BAAS-14
  Scenario: a token for a person who never asked for one is refused
    When I validate the movement with the token "076244"
    Then the provider answers 401 with error code "ACC000133"
    And the error body has a title, a description, a translation and a code
