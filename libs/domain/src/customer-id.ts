/** A customer id is the `sub` of the exchange's tokens, as identity providers issue it: 1 to 255 characters, any of them. */
export const MAX_CUSTOMER_ID_LENGTH = 255;
