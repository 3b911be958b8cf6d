import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { StepUpDto } from './security.dto';

export class RegisterPasskeyDto {
  @ApiProperty({ description: "the browser's registration response (navigator.credentials.create(), JSON form)", type: Object })
  @IsObject()
  response: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'my phone', description: 'a name the customer gives it' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  label?: string;
}

export class PasskeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() label: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
}

export class AntiPhishingCodeDto extends StepUpDto {
  @ApiProperty({ example: 'blue harbour 7', description: '4 to 20 letters, digits or spaces, chosen by the customer' })
  @IsString()
  @Matches(/^(?=.*\S)[\p{L}\p{N} ]{4,20}$/u, { message: 'code must be 4 to 20 letters, digits or spaces' })
  code: string;
}
