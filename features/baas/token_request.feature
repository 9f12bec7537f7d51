@baas
Feature: SMS token request (POST /baas/token_request)
  QI Tech sends a six-digit token by SMS that authorises the creation of a person
  (seed 004, "Token Request"). Every exchange is checked against schemas/baas.

  Background:
    Given a person to register, built from the seed's example

  @BAAS-01 @BAAS-02 @DOC-15
  Scenario: a valid request by SMS is accepted with an empty body
    When I request an SMS token
    Then the provider answers 200
    And the response body is an empty JSON object

  @BAAS-02
  Scenario: contact_type is required
    Given the request field "contact_type" is removed
    When I request an SMS token
    Then the request is rejected as invalid at "/contact_type"

  @BAAS-03
  Scenario Outline: contact type "<type>" is not allowed
    When I request an SMS token by "<type>"
    Then the provider answers 400 with error code "ACC000152"
    And the error title is "Bad Request"
    And the error description is "Contact type <type> not allowed"
    And the error translation is "Forma de contato por <type> não permitida"
    And the error additional_data is an empty object

    Examples:
      | type     |
      | email    |
      | whatsapp |
      | push     |

  @BAAS-04
  Scenario: an administrator who is not a known contact
    Given the administrator "11122233344" asks for the token
    When I request an SMS token
    Then the provider answers 400 with error code "ACC000135"
    And the error title is "Bad Request"
    And the error description is "Contact does not exist"
    And the error translation is "Contato nao existe"
    And the error additional_data is an empty object

  @BAAS-05
  Scenario: a known account administrator asks for the token
    Given the administrator "99988877765" asks for the token
    When I request an SMS token
    Then the provider answers 200

  @BAAS-05
  Scenario Outline: the administrator's CPF must be 11 digits, not "<cpf>"
    Given the administrator "<cpf>" asks for the token
    When I request an SMS token
    Then the request is rejected as invalid at "/agent_document_number"

    Examples:
      | cpf            |
      | 9998887776     |
      | 999888777655   |
      | 999.888.777-65 |
      | 9998887776a    |

  @BAAS-06 @control
  Scenario: a Brazilian number (+55) receives the SMS
    When I request an SMS token
    Then the provider answers 200
    And an SMS with a six-digit token was sent to "+55 34 988887777"

  @BAAS-06
  Scenario Outline: SMS reaches Brazilian numbers only, not country code <cc>
    Given the person field "phone_number.country_code" is "<cc>"
    When I request an SMS token
    Then the provider answers 400 with error code "ACC000135"
    And the error description is "Contact does not exist"

    Examples:
      | cc  |
      | 54  |
      | 1   |
      | 351 |

  @BAAS-14
  Scenario: every error body has a title, a description, a translation and a code
    When I request an SMS token by "email"
    Then the error body has a title, a description, a translation and a code
    And the error additional_data is an empty object
