/** The card of the README walkthrough's purchase (james's), as the README's curl sends it. */
export const README_CARD = {
  card_number: '4111111111111111',
  cvv: '789',
  card_holder_name: 'James',
  exp_date: '12/49',
} as const;
