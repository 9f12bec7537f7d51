@pomelo
Feature: KYB sessions for companies
  POST /identity/v2/sessions with flow_type, country, integration_method and data (company, partners,
  terms_data), answered 201 {"data": {...}} (seed 000, Spanish).

  Background:
    Given a KYB session body built from the seed's example

  @KYB-08 @KYB-04 @KYB-05 @KYB-06 @KYB-07 @DOC-03
  Scenario: the seed's example creates a session
    When I create the KYB session
    Then the provider answers 201
    And the session has a new unique id
    And the session is "IN_PROGRESS"

  @KYB-02
  Scenario Outline: <field> is required
    Given the request field "<field>" is removed
    When I create the KYB session
    Then the request is rejected as invalid at "/<field>"

    Examples:
      | field              |
      | flow_type          |
      | country            |
      | integration_method |
      | data               |

  @KYB-03
  Scenario Outline: <field> "<value>" is outside its enum
    Given the request field "<field>" is "<value>"
    When I create the KYB session
    Then the request is rejected as invalid at "/<field>"

    Examples:
      | field              | value      |
      | flow_type          | kyc-cards  |
      | country            | USA        |
      | country            | Brasil     |
      | integration_method | SDK-LINK   |

  @KYB-03 @KYB-02
  Scenario Outline: country <value> is one of the supported countries
    Given the request field "country" is "<value>"
    When I create the KYB session
    Then the provider answers 201

    Examples:
      | value |
      | ARG   |
      | MEX   |
      | CHL   |

  @KYB-04
  Scenario Outline: data needs its <field>
    Given the request field "data.<field>" is removed
    When I create the KYB session
    Then the request is rejected as invalid at "/data/<field>"

    Examples:
      | field      |
      | company    |
      | partners   |
      | terms_data |

  @KYB-04
  Scenario: data has exactly three properties
    Given the request field "data.shareholders" is the JSON []
    When I create the KYB session
    Then the request is rejected as invalid at "/data/shareholders"

  @KYB-05
  Scenario Outline: company.<field> = <value> is refused
    Given the request field "data.company.<field>" is the JSON <value>
    When I create the KYB session
    Then the request is rejected as invalid at "/data/company/<field>"

    Examples:
      | field        | value                |
      | fiscal_id    | "29086892000177"     |
      | fiscal_id    | "29.086.892/0001-7"  |
      | id           | "company-1"          |
      | is_mei       | "yes"                |
      | annual_income| "2000"               |
      | legal_nature | 21.35                |

  @KYB-06
  Scenario Outline: partner <field> = <value> is refused
    Given the request field "data.partners" is the JSON [<partner>]
    When I create the KYB session
    Then the request is rejected as invalid at "/data/partners/0/<pointer>"

    Examples:
      | field               | pointer               | value | partner |
      | fiscal_id           | fiscal_id             | "12345678910" | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"12345678910","full_name":"D","birthdate":"1998-08-20","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345-678","neighborhood":"n"}} |
      | birthdate           | birthdate             | "20/08/1998"  | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"20/08/1998","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345-678","neighborhood":"n"}} |
      | nationality         | nationality           | "BR"          | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"1998-08-20","nationality":"BR","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345-678","neighborhood":"n"}} |
      | pep                 | pep                   | "no"          | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"1998-08-20","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":"no","salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345-678","neighborhood":"n"}} |
      | address.zip_code    | address/zip_code      | "12345678"    | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"1998-08-20","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345678","neighborhood":"n"}} |
      | address.street_number | address/street_number | "300"       | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":[],"corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"1998-08-20","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":"300","complement":"A","zip_code":"12345-678","neighborhood":"n"}} |
      | company_relationship | company_relationship | "CompanyName" | {"id":"usr-x1","partner_type":"legal-representative-main","company_relationship":"CompanyName","corporate_participation":[],"fiscal_id":"123.456.789-10","full_name":"D","birthdate":"1998-08-20","nationality":"BRA","mother_name":"M","phone":"+55 11 97487 2510","pep":false,"salary":1,"address":{"street_name":"s","street_number":300,"complement":"A","zip_code":"12345-678","neighborhood":"n"}} |

  @KYB-07
  Scenario Outline: terms_data.<field> = <value> is refused
    Given the request field "data.terms_data.<field>" is the JSON <value>
    When I create the KYB session
    Then the request is rejected as invalid at "/data/terms_data/<field>"

    Examples:
      | field   | value        |
      | date    | "2022-05-13" |
      | accept  | "true"       |
      | version | 1            |

  @KYB-09
  Scenario: a KYB session takes a company-document for the company
    When I create the KYB session
    And I upload a "company-document" for the company
    Then the provider answers 201

  @KYB-09 @KYC-04
  Scenario: a KYB session takes the partners' person documents too
    When I create the KYB session
    And I upload a "selfie" for the session's first partner
    Then the provider answers 201
