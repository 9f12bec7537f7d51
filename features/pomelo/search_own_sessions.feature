@pomelo
Feature: Searching the sessions a scenario made itself
  The search syntax of search.feature (seed 001) over sessions the scenario makes through the public API
  for a user of its own, so that any target can run it, a sandbox included: filter[user_id] leaves out
  everybody else's sessions. {today} and {yesterday} stand for UTC dates. Against a target without the
  control API the sessions are made a second apart, for a clock that keeps only seconds.

  Background:
    Given a validation flow for ARG
    And 3 sessions made through the public API for a new user

  @KYC-08
  Scenario: filter[user_id] and filter[status] find exactly the user's sessions
    When I cancel the user's session 2
    And I search the user's sessions with "filter[status]=IN_PROGRESS&sort=created_at"
    Then the search returns the user's sessions "1, 3"
    When I search the user's sessions with "filter[status]=CANCELLED"
    Then the search returns the user's sessions "2"

  @KYC-09
  Scenario Outline: filter[created_at] from <from> to <to>
    When I search the user's sessions with "filter[created_at][from]=<from>&filter[created_at][to]=<to>&sort=created_at"
    Then the search returns the user's sessions "<sessions>"

    Examples:
      | from        | to          | sessions |
      | {today}     | {today}     | 1, 2, 3  |
      | {yesterday} | {today}     | 1, 2, 3  |
      | {yesterday} | {yesterday} |          |

  @KYC-10
  Scenario Outline: page <number> of size <size>
    When I search the user's sessions with "sort=created_at&page[size]=<size>&page[number]=<number>"
    Then the search returns the user's sessions "<sessions>"
    And the search has <pages> pages and 3 sessions in all

    Examples:
      | size | number | sessions | pages |
      | 2    | 1      | 1, 2     | 2     |
      | 2    | 2      | 3        | 2     |
      | 3    | 1      | 1, 2, 3  | 1     |

  @KYC-11
  Scenario Outline: sort=<sort>
    When I search the user's sessions with "sort=<sort>"
    Then the search returns the user's sessions "<sessions>"

    Examples:
      | sort        | sessions |
      | created_at  | 1, 2, 3  |
      | -created_at | 3, 2, 1  |
