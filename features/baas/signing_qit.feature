@baas
Feature: QI's string_to_sign signing (BAAS-17) and which schemes a target accepts (DOC-17)
  QI's key-exchange and error pages, and most public clients, sign the string_to_sign way:
  Authorization "QIT <api_client_key>:<ES512 JWT>" whose claims are sub (the key) and signature,
  METHOD, MD5 of the encoded_body sent, application/json, an RFC 1123 date and the URI, each on its own
  line; the JSON body goes as {"encoded_body": <ES512 JWT of the body>} and every answer comes back the
  same way, signed with QI's key. QI's current authentication test signs claims instead (BAAS-16), and
  no document says whether QI still accepts this scheme (DOC-17): the run asks the target, reports the
  answer, and proves BAAS-17 where the target accepts it (providers.baas.options.signing: claims,qit;
  the embedded mock accepts both, 'conformance mock' when started with --baas-signing claims,qit).

  Background:
    Given a person to register, built from the seed's example

  @DOC-17
  Scenario: which request-signing schemes the target accepts
    When the provider is asked which request-signing schemes it accepts
    Then it accepts the claims scheme of QI's authentication test

  @BAAS-17
  Scenario: a token request signed the string_to_sign way is answered, signed with QI's key
    Given requests are signed the string_to_sign way
    When I request an SMS token
    Then the provider answers 200
    And the response body is an empty JSON object

  @BAAS-17 @BAAS-11 @sms
  Scenario: the movement is validated the string_to_sign way, and the person created
    Given requests are signed the string_to_sign way
    And an SMS token was requested for the person
    When I validate the movement with the token from the SMS
    Then the movement is validated
    And the created person echoes the name, document number, mother's name, address and phone that were sent

  @BAAS-17 @BAAS-13
  Scenario: a wrong token is refused with ACC000133, signed too
    Given requests are signed the string_to_sign way
    And an SMS token was requested for the person
    When I validate the movement with a wrong token
    Then the provider answers 401 with error code "ACC000133"

  @BAAS-17
  Scenario Outline: a string_to_sign signed <how> is refused with GDF000014
    Given requests are signed the string_to_sign way
    When I request an SMS token signed the string_to_sign way <how>
    Then the provider answers 401 with error code "GDF000014"
    And the error description is "QI Unauthenticated"

    Examples:
      | how                |
      | for another body   |
      | for another URI    |
      | ten minutes ago    |
      | for another client |
      | with another key   |

  @BAAS-17 @control
  Scenario: a client the provider lets sign only the claims way is told which scheme it used and how to enable it
    Given requests are signed the string_to_sign way
    And an API client that may sign only the claims way signs the string_to_sign way
    When I request an SMS token
    Then the provider answers 401 with error code "GDF000014"
    And the refusal names the string_to_sign scheme and how to enable it
