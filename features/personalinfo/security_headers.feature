@personalinfo
Feature: Security headers on every response (PI-05)
  The seed's response carries Rails' default security headers, a JSON Content-Type with charset and an
  X-Request-Id. The harness checks them on every response the scenario receives, success or error.

  @PI-05
  Scenario: every response, accepted or refused, carries the documented headers
    Given a natural person from the seed's example
    When I create the personal information record
    And I create the personal information record without an integration token
    And the person's marital_status is "complicated"
    And I create the personal information record
    And I send the person as a multipart body cut in half
    Then every response in this scenario carried these headers:
      | X-Frame-Options                   | SAMEORIGIN                      |
      | X-XSS-Protection                  | 1; mode=block                   |
      | X-Content-Type-Options            | nosniff                         |
      | X-Download-Options                | noopen                          |
      | X-Permitted-Cross-Domain-Policies | none                            |
      | Referrer-Policy                   | strict-origin-when-cross-origin |
      | Content-Type                      | application/json; charset=utf-8 |
    And every response in this scenario carried its own X-Request-Id
