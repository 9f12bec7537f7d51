@personalinfo
Feature: Natural-person onboarding (POST /internal/v1/clients/personal_informations)
  A natural person and three document photos (seed 003, Spanish, Rails style). The client sends the
  fields as text parts and the photos as file parts of one multipart/form-data body: the seed documents a
  JSON body whose photos are serialised Ruby uploads, which no client can send (DOC-11). Success answers
  200, not 201 (DOC-10). The seed says nothing of errors; the harness expects Rails' usual 422
  {"errors": {field: [messages]}}, and reads every field of the table as required.

  Background:
    Given a natural person from the seed's example

  @PI-01 @PI-02 @PI-04 @DOC-10 @DOC-11
  Scenario: the seed's person, photos uploaded, answers 200 with the record in state checking
    When I create the personal information record
    Then the provider answers 200
    And the record is in state "checking" and holds the person as sent

  @PI-02 @DOC-11 @control
  Scenario: the three photos arrive as images
    When I create the personal information record
    Then the provider answers 200
    And the provider kept the three photos as images

  @PI-01
  Scenario: without the integration token the request is refused
    When I create the personal information record without an integration token
    Then the provider answers 401 with errors on authorization

  @PI-01
  Scenario: the integration token is the whole header, not a Bearer token
    When I create the personal information record with the token as "Bearer <token>"
    Then the provider answers 401 with errors on authorization

  @PI-02
  Scenario Outline: a person without <field> is refused
    Given the person has no <field>
    When I create the personal information record
    Then the provider answers 422 with errors on <field>
    And the request is rejected as invalid at "/<field>"

    Examples:
      | field               |
      | birthday            |
      | first_name          |
      | last_name           |
      | gender              |
      | marital_status      |
      | nationality         |
      | politically_exposed |
      | document_type       |
      | document_number     |
      | front_document      |
      | back_document       |
      | dni_selfie          |

  @PI-02
  Scenario Outline: a blank <field> is refused
    Given the person's <field> is ""
    When I create the personal information record
    Then the provider answers 422 with errors on <field>
    And the error on <field> says "can't be blank"

    Examples:
      | field           |
      | first_name      |
      | last_name       |
      | document_number |

  @PI-03
  Scenario Outline: marital status <status> is accepted
    Given the person's marital_status is "<status>"
    When I create the personal information record
    Then the provider answers 200
    And the record is in state "checking" and holds the person as sent

    Examples:
      | status   |
      | single   |
      | married  |
      | divorcee |
      | widower  |

  @PI-03
  Scenario Outline: marital status <status> is refused
    Given the person's marital_status is "<status>"
    When I create the personal information record
    Then the provider answers 422 with errors on marital_status
    And the request is rejected as invalid at "/marital_status"

    Examples:
      | status   |
      | divorced |
      | Single   |
      | widow    |

  @PI-02
  Scenario Outline: politically exposed <value> is a boolean
    Given the person's politically_exposed is "<value>"
    When I create the personal information record
    Then the provider answers 200
    And the record is in state "checking" and holds the person as sent

    Examples:
      | value |
      | true  |
      | false |

  @PI-02
  Scenario: politically exposed that is not a boolean is refused
    Given the person's politically_exposed is "maybe"
    When I create the personal information record
    Then the provider answers 422 with errors on politically_exposed
    And the request is rejected as invalid at "/politically_exposed"

  @PI-06 @DOC-09
  Scenario Outline: a birthday written <birthday> is accepted and answered as the example writes it
    Given the person's birthday is "<birthday>"
    When I create the personal information record
    Then the provider answers 200
    And the record's birthday is "1990-08-10"

    Examples:
      | birthday   |
      | 1990-08-10 |
      | 1990/08/10 |

  @PI-06
  Scenario Outline: a birthday that is not a date (<birthday>) is refused
    Given the person's birthday is "<birthday>"
    When I create the personal information record
    Then the provider answers 422 with errors on birthday
    And the error on birthday says "is not a valid date"

    Examples:
      | birthday   |
      | 10/08/1990 |
      | 1990-13-01 |
      | 1990/02/30 |
      | yesterday  |

  @PI-02
  Scenario Outline: a <photo> that is not declared an image is refused
    Given the person's <photo> is declared "application/pdf"
    When I create the personal information record
    Then the provider answers 422 with errors on <photo>
    And the request is rejected as invalid at "/<photo>/content_type"

    Examples:
      | photo          |
      | front_document |
      | back_document  |
      | dni_selfie     |

  @PI-02
  Scenario: a photo declared an image that holds text is refused
    Given the person's dni_selfie holds text declared "image/jpeg"
    When I create the personal information record
    Then the provider answers 422 with errors on dni_selfie
    And the request is rejected as invalid at "/dni_selfie/detected_type"

  @PI-02
  Scenario Outline: a photo of <bytes> bytes is <outcome>
    Given the person's front_document holds <bytes> bytes of an image
    When I create the personal information record
    Then the provider answers <status>

    Examples:
      | bytes   | outcome  | status |
      | 5242880 | accepted | 200    |
      | 5242881 | refused  | 422    |

  @PI-02
  Scenario: an empty photo is refused
    Given the person's back_document holds 0 bytes of an image
    When I create the personal information record
    Then the provider answers 422 with errors on back_document
    And the request is rejected as invalid at "/back_document/size"

  @DOC-11 @PI-02
  Scenario: the seed's documented JSON body cannot carry the photos
    When I send the seed's documented JSON body
    Then the provider answers 422 with errors on front_document, back_document and dni_selfie

  @PI-02
  Scenario: a multipart body cut in half is refused as malformed
    When I send the person as a multipart body cut in half
    Then the provider answers 400
