@gu1
Feature: gu1 KYC webhooks
  Events kyc.validation_* with the envelope {event, timestamp, organizationId, payload}, signed with
  X-Webhook-Signature = HMAC-SHA256 of the raw body (GU1-13), sent to the validation's webhookUrl or the
  organisation's default (GU1-03). The receiver is served by the scenario on loopback and checks the
  signature; the harness reads the signature as lower-case hex.

  Background:
    Given a gu1 webhook receiver
    And a person entity created through the Entities API
    And a validation request for the entity
    And the request's webhookUrl is the receiver

  @GU1-13 @GU1-03
  Scenario: creating a validation is notified, signed, to its webhookUrl
    When I create the KYC validation
    Then the receiver gets a signed "kyc.validation_created" event for the validation

  @GU1-13 @GU1-11 @control
  Scenario: completion is notified
    Given I create the KYC validation
    When the validation moves to "approved"
    Then the receiver gets a signed "kyc.validation_approved" event for the latest validation
