@pomelo
Feature: Authentication (OAuth2 client credentials)
  Every identity call needs Authorization: Bearer <token>; the token comes from POST /oauth/token with
  client credentials and an audience (KYC-16, KYB-01).

  @KYC-16
  Scenario: client credentials with an audience give a Bearer token that expires
    When I ask for an access token
    Then the provider issues a Bearer token that expires

  @KYC-16
  Scenario: a wrong client secret gets no token
    When I ask for an access token with the client secret "not-the-secret"
    Then the provider answers 401

  @KYC-16 @KYB-01
  Scenario Outline: <method> <path> without a bearer token is refused
    When I call <method> "<path>" without a bearer token
    Then the provider answers 401

    Examples:
      | method | path                                                              |
      | POST   | /identity/v2/sessions                                             |
      | GET    | /identity/v1/sessions                                             |
      | GET    | /identity/v1/sessions/ses-2lWyhVOQarR8I5te2XNXdMleSEu             |
      | DELETE | /identity/v1/sessions/ses-2lWyhVOQarR8I5te2XNXdMleSEu             |
      | GET    | /identity/v1/sessions/ses-2lWyhVOQarR8I5te2XNXdMleSEu/report      |
      | POST   | /identity/v1/sessions/ses-2lWyhVOQarR8I5te2XNXdMleSEu/entities/usr-2lWyhVOQarR8I5te2XNXdMleSEu/files/selfie |
      | POST   | /clean_validations                                                |

  @KYC-16 @control
  Scenario: a token the provider no longer accepts is replaced once and the call goes through
    Given a validation flow for ARG
    And a KYC session for a new user
    And the provider revokes every access token
    When I get the session
    Then the provider answers 200
    And the client fetched a new token once and the call succeeded
