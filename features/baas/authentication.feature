@baas
Feature: Request authentication (BAAS-16)
  Every call carries API-CLIENT-KEY and an AUTHORIZATION JWT signed ES512 with the client's P-521 key,
  whose claims (payload_md5 of the body, timestamp, method, uri) bind it to that call. QI Tech's public
  documentation gives the failure codes; the harness reads a timestamp more than five minutes from the
  provider's clock as a failure too. Against a sandbox the client signs with the credentials of the
  config file, against the mock with its fixture client.

  Background:
    Given a person to register, built from the seed's example

  @BAAS-16
  Scenario: a request signed for this call is accepted
    When I request an SMS token
    Then the provider answers 200

  @BAAS-16
  Scenario Outline: a request <how> is refused with <code>, in QI's words
    When I request an SMS token <how>
    Then the provider answers <status> with error code "<code>"
    And the error description is "<description>"

    Examples:
      | how                            | status | code      | description                                                                |
      | without API-CLIENT-KEY         | 400    | GDF000003 | No API Client Key received                                                 |
      | with an unknown API-CLIENT-KEY | 404    | GDF000018 | No ClientIntegration found for api_client_key: conformance-unknown-client |
      | without AUTHORIZATION          | 401    | GDF000014 | QI Unauthenticated                                                         |
      | signed with another key        | 401    | GDF000014 | QI Unauthenticated                                                         |
      | signed for another body        | 401    | GDF000014 | QI Unauthenticated                                                         |
      | signed for another path        | 401    | GDF000014 | QI Unauthenticated                                                         |
      | signed six minutes ago         | 401    | GDF000014 | QI Unauthenticated                                                         |
