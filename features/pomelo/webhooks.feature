@pomelo
Feature: Session notifications (webhooks)
  The provider POSTs a notification on every status change, signed with X-Api-Key, X-Signature
  ("hmac-sha256 <base64>"), X-Timestamp and X-Endpoint; HMAC-SHA256 keyed with the base64-decoded
  api-secret over timestamp + endpoint + body. A receiver that does not answer 2xx gets it again
  (KYC-14, KYC-15). The receiver is clients/pomelo.Receiver, served by the scenario on loopback; against a
  target without the control API the flows configured in the provider name the run's receiver instead
  (providers.pomelo.options.webhook_listen and webhook_url).

  Background:
    Given a webhook receiver that knows the provider's signing secret

  @KYC-14 @KYC-15
  Scenario: a status change is notified, signed, and accepted
    Given a validation flow for ARG
    And a KYC session for a new user
    When I cancel the session
    Then the receiver accepts a notification that the session is "CANCELLED"
    And the provider tried 1 times to deliver it

  @KYC-14
  Scenario: a notification the receiver refuses is sent again
    Given the receiver refuses the first 2 notifications
    And a validation flow for ARG
    And a KYC session for a new user
    When I upload a selfie and both sides of the identity card
    Then the receiver accepts a notification that the session is "VALIDATED"
    And the provider tried 3 times to deliver it

  @KYC-15
  Scenario: a correctly signed notification is accepted
    Then a notification signed with the provider's secret is accepted by the receiver

  @KYC-15
  Scenario Outline: a notification <how> is refused
    Then a notification <how> is refused by the receiver

    Examples:
      | how                                           |
      | with a wrong signature                        |
      | replayed with a timestamp from 10 minutes ago |
      | whose body was changed after signing          |
