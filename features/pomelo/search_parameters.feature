@pomelo
Feature: Search parameters the provider must refuse
  GET /identity/v1/sessions parses its parameters strictly (seed 001): an incorrect or misspelled
  parameter answers an error, never a silently unfiltered list (KYC-12). These scenarios need no
  sessions of their own, so they run against any target, a sandbox included.

  @KYC-12
  Scenario Outline: an incorrect parameter is refused: <query>
    When I search sessions with "<query>"
    Then the search is refused naming "<names>"

    Examples:
      | query                                     | names                    |
      | filter[colour]=red                        | colour                   |
      | filter[stauts]=IN_PROGRESS                | stauts                   |
      | sort=colour                               | colour                   |
      | sort=created_at,-colour                   | colour                   |
      | page[size]=ten                            | page[size]               |
      | page[number]=first                        | page[number]             |
      | page[number]=0                            | page[number]             |
      | filter[status=IN_PROGRESS                 | filter[status            |
      | filter[created_at][from]=27/07/2021       | filter[created_at][from] |
      | colour=red                                | colour                   |

  @KYC-12 @DOC-18
  Scenario Outline: a value an enumerated filter does not know is refused: <query>
    The seed says an incorrect parameter returns an error, not whether an unknown value is one (DOC-18).
    The harness reads a value outside the documented set of status, kind or country as an incorrect
    parameter; a documented value that matches nothing is an empty list (search.feature).
    When I search sessions with "<query>"
    Then the search is refused naming "<names>"

    Examples:
      | query                | names           |
      | filter[status]=BOGUS | filter[status]  |
      | filter[kind]=kyx     | filter[kind]    |
      | filter[country]=ARX  | filter[country] |
